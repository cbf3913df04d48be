// registry_stress ROLE: the concurrency stress of the registry, channels and space heap, as several
// tprocs with several threads each. Links libtproc. tests/e2e/registry_test.cpp runs it:
//
//   coordinator WORKERS THREADS MESSAGES ROUNDS VICTIM_MESSAGES VICTIM_FREES
//       Records the heap's usage, builds the shared Board in the space heap (channels included)
//       and publishes it as stress.board; prints "board at ADDR baseline bytes=B blocks=K". Then
//       waits for the victim to come and go and for every worker to finish, checks that every
//       message arrived exactly once, that the registry holds nothing of the stress but the board,
//       frees everything and checks the heap is back to its baseline. Prints "stress OK ..." and
//       exits 0, or prints FAIL lines and exits 1.
//   worker INDEX
//       THREADS sender threads: each sends MESSAGES heap blocks (16 B to 1.5 MiB) to the workers'
//       inboxes in turn, meets the same thread of the other workers ROUNDS times through the
//       registry (publish, then tproc_wait for theirs), and churns a name of its own (publish,
//       look up, republish -> EEXIST, withdraw, and others' names -> EPERM/ENOENT). Two receiver
//       threads check each block it receives, count it in the Board (a second arrival is a
//       duplicate) and free it: cross-tproc frees. A watcher thread waits for the victim's
//       endpoint to go (tproc_wait_gone) and checks that every name of the victim went with it;
//       worker 0's watcher also drains the victim's lanes. Halfway through its messages, worker
//       0's first thread kills the victim with SIGKILL (once the victim churns), so the kill lands
//       in the middle of everything. Prints "worker N: ... noticed the victim gone t=NS".
//   victim
//       Publishes stress.victim and four more names. Phase 1: its THREADS threads send
//       VICTIM_MESSAGES heap blocks each to the inboxes, and it frees the VICTIM_FREES blocks the
//       coordinator allocated for it. Then prints "churning pid PID" and, until it is killed
//       (kill -9 by worker 0), publishes/looks up/withdraws names and sends numbered messages on
//       its own lanes: no heap operation, so the kill can land anywhere without leaking a block.
//       Start it before the workers: it finds the inboxes on the board.
//   churn
//       Alone (no board): publishes four names it keeps, then three threads publish, look up and
//       withdraw names of their own as fast as they can, until the test kills it. Prints
//       "churning pid PID" once they run. A kill -9 often lands while it holds the registry's
//       writer lock.
//
// Every blocking call has a timeout and any failure sets Board::abort, so a broken product makes
// the roles fail fast rather than hang.

#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <tproc/tproc.hpp>

namespace {

constexpr int kMaxWorkers = 8;
constexpr int kMaxThreads = 8;
constexpr int kReceiversPerWorker = 2;
constexpr int kVictimKeptNames = 4;
constexpr uint64_t kBoardKind = tproc::kind("stress.Board/1");
constexpr uint64_t kInboxKind = tproc::kind("stress.Inbox/1");
constexpr uint64_t kChurnKind = tproc::kind("stress.churn");
constexpr int kWaitMs = 60000;

/// The shared state, in the space heap. Plain fields are written once by the coordinator before
/// it publishes the board (the registry orders them); the rest are atomics.
struct Board {
  int workers, threads, messages, rounds, victim_messages, victim_frees;
  uint64_t expected;          ///< heap messages to deliver: workers' and the victim's
  std::atomic<uint8_t>* seen; ///< arrivals per message
  uint64_t seen_count;
  tproc_channel* inbox[kMaxWorkers];
  tproc_channel* lanes[kMaxThreads];  ///< the victim's phase-2 lanes, one per victim thread
  tproc_channel* frees;               ///< blocks the coordinator allocated for the victim to free

  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> lane_sent[kMaxThreads];
  std::atomic<uint64_t> lane_received[kMaxThreads];
  std::atomic<int> victim_threads_ready{0};
  std::atomic<int> workers_done{0};
  std::atomic<int> watchers_noticed{0};
  std::atomic<uint64_t> churn_ops{0};
  std::atomic<uint64_t> rendezvous{0};
  std::atomic<uint64_t> cross_frees{0};
  std::atomic<int> victim_pid{0};
  std::atomic<long long> killed_at{0};      ///< CLOCK_MONOTONIC ns of the kill -9
  std::atomic<long long> last_noticed{0};   ///< the latest watcher's "gone" time
  std::atomic<int> failures{0};
  std::atomic<int> abort{0};
};

/// The header of each heap message; pattern bytes follow.
struct Message {
  uint32_t sender;  ///< worker index, or `workers` for the victim
  uint32_t thread;
  uint32_t sequence;
  uint32_t size;
  uint64_t check;
};

const char* role = "registry_stress";
Board* board = nullptr;

long long now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

void fail(const char* format, ...) {
  int failures = board != nullptr ? board->failures.fetch_add(1) + 1 : 1;
  if (board != nullptr) board->abort.store(1);
  if (failures > 20) return;
  char text[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  std::fprintf(stderr, "%s: FAIL %s\n", role, text);
}

bool aborted() { return board->abort.load(std::memory_order_relaxed) != 0; }

std::string name_of(const char* prefix, int a, int b = -1, int c = -1) {
  std::string name = prefix + std::string(".") + std::to_string(a);
  if (b >= 0) name += "." + std::to_string(b);
  if (c >= 0) name += "." + std::to_string(c);
  return name;
}

/// A fake address that says who published a name, so a reader can check it got the right entry.
void* encode(int owner, int thread, uint64_t serial) {
  return reinterpret_cast<void*>(0x100000000000ULL | (uint64_t(owner) << 32) | (uint64_t(thread) << 24) |
                                 (serial & 0xffffff));
}
bool encodes(void* address, int owner, int thread) {
  const uint64_t value = reinterpret_cast<uint64_t>(address);
  return (value >> 44) == 1 && ((value >> 32) & 0xff) == uint64_t(owner) && ((value >> 24) & 0xff) == uint64_t(thread);
}

size_t message_size(uint32_t sequence) {
  static const size_t sizes[] = {24, 48, 100, 250, 700, 1500, 3000, 6000, 12000, 30000, 40000, 70000, 200000};
  if (sequence % 97 == 96) return 1536 * 1024;  // a large run: given back to the kernel when freed
  return sizes[sequence % (sizeof sizes / sizeof sizes[0])];
}

uint64_t check_of(const Message& m) {
  uint64_t z = (uint64_t(m.sender) << 48) ^ (uint64_t(m.thread) << 40) ^ (uint64_t(m.sequence) << 8) ^ m.size;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  return z ^ (z >> 31);
}

uint8_t pattern(const Message& m, size_t i) { return static_cast<uint8_t>(m.sequence * 131 + i * 7 + m.sender * 17 + m.thread); }

/// The bytes a message's pattern covers: the first KiB and the last 64 bytes.
template <class F>
void for_pattern(size_t size, F f) {
  const size_t head_end = size < 1024 ? size : 1024;
  for (size_t i = sizeof(Message); i < head_end; ++i) f(i);
  for (size_t i = size - 64 > head_end ? size - 64 : head_end; i < size; ++i) f(i);
}

uint64_t seen_index(uint32_t sender, uint32_t thread, uint32_t sequence) {
  return (uint64_t(sender) * board->threads + thread) * board->messages + sequence;
}

/// Allocates and fills message `sequence` of `sender`/`thread`; sends it to inbox `to`.
bool send_message(uint32_t sender, uint32_t thread, uint32_t sequence, int to) {
  const size_t size = message_size(sequence);
  auto* message = static_cast<Message*>(tproc_heap_alloc(size));
  if (message == nullptr) {
    fail("tproc_heap_alloc(%zu): %s", size, std::strerror(errno));
    return false;
  }
  message->sender = sender;
  message->thread = thread;
  message->sequence = sequence;
  message->size = static_cast<uint32_t>(size);
  message->check = check_of(*message);
  auto* bytes = reinterpret_cast<uint8_t*>(message);
  for_pattern(size, [&](size_t i) { bytes[i] = pattern(*message, i); });
  const int sent = tproc_channel_send(board->inbox[to], message, kWaitMs);
  if (sent < 0) {
    fail("send message %u/%u/%u to inbox %d: %s", sender, thread, sequence, to, std::strerror(-sent));
    tproc_heap_free(message);
    return false;
  }
  return true;
}

/// Checks a received message, counts its arrival and frees it.
void take_message(void* received) {
  auto* message = static_cast<Message*>(received);
  const uint32_t sender = message->sender, thread = message->thread, sequence = message->sequence;
  const bool from_victim = sender == uint32_t(board->workers);
  const uint32_t limit = from_victim ? board->victim_messages : board->messages;
  if (sender > uint32_t(board->workers) || thread >= uint32_t(board->threads) || sequence >= limit) {
    fail("a message with a bad header at %p: sender %u thread %u sequence %u", received, sender, thread, sequence);
    return;
  }
  bool intact = message->size == message_size(sequence) && message->check == check_of(*message) &&
                tproc_heap_block_size(message) >= message->size;
  if (intact) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(message);
    for_pattern(message->size, [&](size_t i) { intact = intact && bytes[i] == pattern(*message, i); });
  }
  if (!intact) fail("message %u/%u/%u at %p is corrupt", sender, thread, sequence, received);
  const uint8_t before = board->seen[seen_index(sender, thread, sequence)].fetch_add(1);
  if (before != 0) fail("message %u/%u/%u arrived %u times", sender, thread, sequence, before + 1u);
  if (int freed = tproc_heap_free(message); freed < 0) fail("tproc_heap_free(%p): %s", received, std::strerror(-freed));
  board->cross_frees.fetch_add(1);
  board->delivered.fetch_add(1);
}

Board* find_board() {
  Board* found = nullptr;
  if (int error = tproc::wait("stress.board", kBoardKind, kWaitMs, &found); error < 0) {
    std::fprintf(stderr, "%s: FAIL no stress.board: %s\n", role, std::strerror(-error));
    std::exit(1);
  }
  return found;
}

/// Waits for every worker's inbox endpoint (they come up in any order) and checks it.
bool find_inboxes() {
  for (int w = 0; w < board->workers; ++w) {
    tproc_channel* inbox = nullptr;
    const std::string name = name_of("stress.inbox", w);
    if (int error = tproc::wait(name.c_str(), kInboxKind, kWaitMs, &inbox); error < 0) {
      fail("wait for %s: %s", name.c_str(), std::strerror(-error));
      return false;
    }
    if (inbox != board->inbox[w]) {
      fail("%s points at %p, the board says %p", name.c_str(), static_cast<void*>(inbox), static_cast<void*>(board->inbox[w]));
      return false;
    }
  }
  return true;
}

// ---- worker ------------------------------------------------------------------------------------

/// One round of the rendezvous: publish ours, wait for both neighbours' (they wait for ours), then
/// withdraw our previous one: a neighbour that published round r has finished waiting for r-1.
void rendezvous(int w, int t, int r) {
  const int workers = board->workers;
  const std::string mine = name_of("stress.rv", w, t, r);
  if (int error = tproc_publish(mine.c_str(), encode(w, t, r), kChurnKind); error < 0)
    return fail("publish %s: %s", mine.c_str(), std::strerror(-error));
  for (int peer : {(w + 1) % workers, (w + workers - 1) % workers}) {
    const std::string theirs = name_of("stress.rv", peer, t, r);
    void* address = nullptr;
    if (int error = tproc_wait(theirs.c_str(), kWaitMs, &address); error < 0)
      return fail("wait for %s: %s", theirs.c_str(), std::strerror(-error));
    if (!encodes(address, peer, t)) return fail("%s holds %p, not its owner's", theirs.c_str(), address);
  }
  if (r > 0) {
    const std::string previous = name_of("stress.rv", w, t, r - 1);
    if (int error = tproc_withdraw(previous.c_str()); error < 0)
      return fail("withdraw %s: %s", previous.c_str(), std::strerror(-error));
  }
  board->rendezvous.fetch_add(1);
}

/// Publish, look up, republish, withdraw a name of ours; look at the neighbours' and the victim's.
void churn(int w, int t, uint64_t serial) {
  const std::string mine = name_of("stress.c", w, t);
  void* address = encode(w, t, serial);
  if (int error = tproc_publish(mine.c_str(), address, kChurnKind); error < 0)
    return fail("publish %s: %s", mine.c_str(), std::strerror(-error));
  void* found = nullptr;
  uint64_t kind = 0;
  if (int error = tproc_lookup(mine.c_str(), &found, &kind); error < 0 || found != address || kind != kChurnKind)
    return fail("lookup %s after publishing: %d %p", mine.c_str(), error, found);
  if (int error = tproc_publish(mine.c_str(), address, kChurnKind); error != -EEXIST)
    return fail("republish %s: %d, expected -EEXIST", mine.c_str(), error);
  const int peer = (w + 1) % board->workers;
  const std::string theirs = name_of("stress.c", peer, t);
  int error = tproc_lookup(theirs.c_str(), &found, &kind);
  if (error == 0 && (!encodes(found, peer, t) || kind != kChurnKind))
    return fail("%s holds %p, not its owner's", theirs.c_str(), found);
  if (error != 0 && error != -ENOENT) return fail("lookup %s: %d", theirs.c_str(), error);
  if (peer != w) {
    error = tproc_withdraw(theirs.c_str());
    if (error != -EPERM && error != -ENOENT) return fail("withdraw of another tproc's %s: %d", theirs.c_str(), error);
  }
  const std::string victims = name_of("stress.v", t);
  error = tproc_lookup(victims.c_str(), &found, nullptr);
  if (error == 0 && !encodes(found, board->workers, t)) return fail("%s holds %p, not the victim's", victims.c_str(), found);
  if (error != 0 && error != -ENOENT) return fail("lookup %s: %d", victims.c_str(), error);
  if (error = tproc_withdraw(mine.c_str()); error < 0) return fail("withdraw %s: %s", mine.c_str(), std::strerror(-error));
  if (error = tproc_lookup(mine.c_str(), nullptr, nullptr); error != -ENOENT)
    return fail("lookup %s after withdrawing: %d", mine.c_str(), error);
  board->churn_ops.fetch_add(1);
}

/// kill -9 of the victim once it churns, while every worker is busy.
void kill_victim() {
  const long long deadline = now_ns() + 60'000'000'000LL;
  while ((board->victim_pid.load() == 0 || board->victim_threads_ready.load() < board->threads) && !aborted()) {
    if (now_ns() > deadline) return fail("the victim never started churning");
    usleep(1000);
  }
  usleep(20000);  // let it churn among the others for a moment
  board->killed_at.store(now_ns());
  if (::kill(board->victim_pid.load(), SIGKILL) != 0) fail("kill -9 the victim: %s", std::strerror(errno));
}

void worker_sender(int w, int t) {
  if (!find_inboxes()) return;
  const int messages = board->messages, rounds = board->workers > 1 ? board->rounds : 0;
  const int every = rounds > 0 ? (messages + rounds - 1) / rounds : messages + 1;
  int round = 0;
  for (int m = 0; m < messages && !aborted(); ++m) {
    if (!send_message(w, t, m, (w + t + m) % board->workers)) return;
    if (w == 0 && t == 0 && m == messages / 2) kill_victim();
    if (m % every == 0 && round < rounds) rendezvous(w, t, round++);
    churn(w, t, m);
  }
  while (round < rounds && !aborted()) rendezvous(w, t, round++);
  if (rounds > 0 && !aborted()) {
    const std::string last = name_of("stress.rv", w, t, rounds - 1);
    // The last round's name goes once both neighbours are past it: each publishes a final marker
    // (left for the daemon to withdraw when the worker exits).
    const std::string done = name_of("stress.rvdone", w, t);
    tproc_publish(done.c_str(), encode(w, t, 0), kChurnKind);
    for (int peer : {(w + 1) % board->workers, (w + board->workers - 1) % board->workers}) {
      const std::string theirs = name_of("stress.rvdone", peer, t);
      if (int error = tproc_wait(theirs.c_str(), kWaitMs, nullptr); error < 0)
        fail("wait for %s: %s", theirs.c_str(), std::strerror(-error));
    }
    if (int error = tproc_withdraw(last.c_str()); error < 0) fail("withdraw %s: %s", last.c_str(), std::strerror(-error));
  }
}

void worker_receiver(int w) {
  const long long deadline = now_ns() + 90'000'000'000LL;
  while (!aborted()) {
    void* message = nullptr;
    const int received = tproc_channel_recv(board->inbox[w], &message, 100);
    if (received == 0) {
      take_message(message);
    } else if (received == -ETIMEDOUT) {
      if (board->delivered.load() >= board->expected) return;
      if (now_ns() > deadline) return fail("worker %d: messages still missing after 90 s (%llu of %llu)", w,
                                           (unsigned long long)board->delivered.load(),
                                           (unsigned long long)board->expected);
    } else {
      return fail("worker %d: receive: %s", w, std::strerror(-received));
    }
  }
}

/// Takes what the victim's lanes hold; checks each lane's messages come 0, 1, 2... Returns how many.
int drain_lanes() {
  int drained = 0;
  for (int t = 0; t < board->threads; ++t) {
    void* message = nullptr;
    while (tproc_channel_try_recv(board->lanes[t], &message) == 0) {
      const uint64_t value = reinterpret_cast<uint64_t>(message) - 1;
      const uint64_t expected = board->lane_received[t].load();
      if (value != expected) fail("victim lane %d: got message %llu, expected %llu", t, (unsigned long long)value,
                                  (unsigned long long)expected);
      board->lane_received[t].store(expected + 1);
      ++drained;
    }
  }
  return drained;
}

/// Whether every name of the victim is gone, retrying for a moment: the daemon withdraws a dead
/// tproc's entries one after the other.
bool victim_names_gone() {
  std::vector<std::string> names = {"stress.victim"};
  for (int k = 0; k < kVictimKeptNames; ++k) names.push_back(name_of("stress.victim.keep", k));
  for (int t = 0; t < board->threads; ++t) names.push_back(name_of("stress.v", t));
  const long long deadline = now_ns() + 5'000'000'000LL;
  for (;;) {
    bool all_gone = true;
    for (const std::string& name : names) all_gone = all_gone && tproc_lookup(name.c_str(), nullptr, nullptr) == -ENOENT;
    if (all_gone) return true;
    if (now_ns() > deadline) return false;
    usleep(2000);
  }
}

long long watch_victim(int w) {
  if (int error = tproc_wait("stress.victim", kWaitMs, nullptr); error < 0) {
    fail("worker %d: wait for stress.victim: %s", w, std::strerror(-error));
    return 0;
  }
  tproc_endpoint victim{};
  if (tproc_query("stress.victim", &victim) < 0) {
    fail("worker %d: stress.victim vanished at once", w);
    return 0;
  }
  long long noticed = 0;
  if (w == 0) {
    // Drain the lanes while the victim runs, then once more after it is gone.
    const long long deadline = now_ns() + 90'000'000'000LL;
    while (!aborted()) {
      const bool gone = tproc_wait_gone("stress.victim", victim.generation, 0) == 0;
      if (gone) noticed = now_ns();
      const int drained = drain_lanes();
      if (gone) break;
      if (now_ns() > deadline) {
        fail("worker 0: the victim was not killed within 90 s");
        return 0;
      }
      if (drained == 0) tproc_wait_gone("stress.victim", victim.generation, 1);
    }
    drain_lanes();
  } else {
    const int error = tproc_wait_gone("stress.victim", victim.generation, 90000);
    noticed = now_ns();
    if (error < 0) {
      fail("worker %d: tproc_wait_gone(stress.victim): %s", w, std::strerror(-error));
      return 0;
    }
  }
  if (!victim_names_gone()) fail("worker %d: a name of the dead victim is still there", w);
  board->watchers_noticed.fetch_add(1);
  for (long long last = board->last_noticed.load(); noticed > last && !board->last_noticed.compare_exchange_weak(last, noticed);) {
  }
  return noticed;
}

int worker(int w) {
  board = find_board();
  if (w < 0 || w >= board->workers) {
    std::fprintf(stderr, "%s: no worker %d in a stress of %d\n", role, w, board->workers);
    return 2;
  }
  const std::string inbox = name_of("stress.inbox", w);
  if (int error = tproc_publish(inbox.c_str(), board->inbox[w], kInboxKind); error < 0) {
    fail("publish %s: %s", inbox.c_str(), std::strerror(-error));
    return 1;
  }
  long long noticed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < board->threads; ++t) threads.emplace_back(worker_sender, w, t);
  for (int k = 0; k < kReceiversPerWorker; ++k) threads.emplace_back(worker_receiver, w);
  threads.emplace_back([&] { noticed = watch_victim(w); });
  for (std::thread& thread : threads) thread.join();
  tproc_withdraw(inbox.c_str());
  board->workers_done.fetch_add(1);
  std::printf("worker %d: done; noticed the victim gone t=%lld\n", w, noticed);
  return board->failures.load() == 0 ? 0 : 1;
}

// ---- victim ------------------------------------------------------------------------------------

void victim_thread(int t) {
  const int workers = board->workers;
  // Phase 1: heap messages to the workers (their inboxes are on the board; the workers may not
  // be up yet), and (thread 0) frees of the coordinator's blocks.
  for (int m = 0; m < board->victim_messages && !aborted(); ++m)
    if (!send_message(workers, t, m, (t + m) % workers)) return;
  if (t == 0) {
    for (int i = 0; i < board->victim_frees && !aborted(); ++i) {
      void* block = nullptr;
      if (int error = tproc_channel_recv(board->frees, &block, kWaitMs); error < 0)
        return fail("victim: receive block %d to free: %s", i, std::strerror(-error));
      if (int error = tproc_heap_free(block); error < 0) return fail("victim: free %p: %s", block, std::strerror(-error));
      board->cross_frees.fetch_add(1);
    }
  }
  board->victim_threads_ready.fetch_add(1);
  while (board->victim_threads_ready.load() < board->threads && !aborted()) usleep(1000);
  if (t == 0) {
    std::printf("churning pid %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
  }
  // Phase 2, until the kill: registry writes (the writer lock) and lane sends; no heap operation.
  const std::string name = name_of("stress.v", t);
  const long long deadline = now_ns() + 60'000'000'000LL;
  for (uint64_t i = 0; !aborted(); ++i) {
    if (int error = tproc_publish(name.c_str(), encode(workers, t, i), kChurnKind); error < 0)
      return fail("victim: publish %s: %s", name.c_str(), std::strerror(-error));
    if (int error = tproc_lookup(name.c_str(), nullptr, nullptr); error < 0)
      return fail("victim: lookup %s: %s", name.c_str(), std::strerror(-error));
    if (int error = tproc_withdraw(name.c_str()); error < 0)
      return fail("victim: withdraw %s: %s", name.c_str(), std::strerror(-error));
    const uint64_t sequence = board->lane_sent[t].load();
    if (tproc_channel_try_send(board->lanes[t], reinterpret_cast<void*>(sequence + 1)) == 0)
      board->lane_sent[t].store(sequence + 1);
    if (i % 256 == 255 && now_ns() > deadline) return fail("victim: still alive 60 s into phase 2 (never killed?)");
  }
}

int victim() {
  board = find_board();
  board->victim_pid.store(static_cast<int>(::getpid()));
  if (int error = tproc_publish("stress.victim", board, kChurnKind); error < 0) {
    fail("publish stress.victim: %s", std::strerror(-error));
    return 1;
  }
  for (int k = 0; k < kVictimKeptNames; ++k)
    tproc_publish(name_of("stress.victim.keep", k).c_str(), encode(board->workers, k, 0), kChurnKind);
  std::vector<std::thread> threads;
  for (int t = 0; t < board->threads; ++t) threads.emplace_back(victim_thread, t);
  for (std::thread& thread : threads) thread.join();
  return 1;  // only a failure ends the victim: it is meant to be killed
}

// ---- churn -------------------------------------------------------------------------------------

int churn_alone() {
  const int pid = static_cast<int>(::getpid());
  for (int k = 0; k < kVictimKeptNames; ++k)
    if (int error = tproc_publish(name_of("churn.keep", pid, k).c_str(), encode(0, k, 0), kChurnKind); error < 0) {
      std::fprintf(stderr, "%s: FAIL publish: %s\n", role, std::strerror(-error));
      return 1;
    }
  static std::atomic<int> running{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([pid, t] {
      const std::string name = name_of("churn", pid, t);
      running.fetch_add(1);
      const long long deadline = now_ns() + 60'000'000'000LL;
      for (uint64_t i = 0; failed.load() == 0; ++i) {
        if (tproc_publish(name.c_str(), encode(1, t, i), kChurnKind) < 0 || tproc_lookup(name.c_str(), nullptr, nullptr) < 0 ||
            tproc_withdraw(name.c_str()) < 0) {
          std::fprintf(stderr, "%s: FAIL churn on %s\n", role, name.c_str());
          failed.store(1);
        }
        if (i % 256 == 255 && now_ns() > deadline) failed.store(1);
      }
    });
  while (running.load() < 3 && failed.load() == 0) usleep(1000);
  std::printf("churning pid %d\n", pid);
  for (std::thread& thread : threads) thread.join();
  return 1;  // only a failure (or 60 s without the kill) ends it
}

// ---- coordinator -------------------------------------------------------------------------------

int coordinator(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: registry_stress coordinator WORKERS THREADS MESSAGES ROUNDS VICTIM_MESSAGES VICTIM_FREES\n");
    return 2;
  }
  const int workers = std::atoi(argv[2]), threads = std::atoi(argv[3]), messages = std::atoi(argv[4]);
  const int rounds = std::atoi(argv[5]), victim_messages = std::atoi(argv[6]), victim_frees = std::atoi(argv[7]);
  if (workers < 1 || workers > kMaxWorkers || threads < 1 || threads > kMaxThreads || messages < 1 ||
      victim_messages > messages || rounds < 0 || victim_frees < 0) {
    std::fprintf(stderr, "registry_stress: parameters out of range\n");
    return 2;
  }
  tproc_heap_stats baseline{};
  if (int error = tproc_heap_usage(&baseline); error < 0) {
    std::fprintf(stderr, "%s: tproc_heap_usage: %s\n", role, std::strerror(-error));
    return 1;
  }

  void* memory = tproc_heap_alloc(sizeof(Board));
  if (memory == nullptr) return 1;
  board = new (memory) Board();
  board->workers = workers;
  board->threads = threads;
  board->messages = messages;
  board->rounds = rounds;
  board->victim_messages = victim_messages;
  board->victim_frees = victim_frees;
  board->expected = uint64_t(workers) * threads * messages + uint64_t(threads) * victim_messages;
  board->seen_count = uint64_t(workers + 1) * threads * messages;
  board->seen = static_cast<std::atomic<uint8_t>*>(tproc_heap_alloc(board->seen_count));
  if (board->seen == nullptr) return 1;
  std::memset(static_cast<void*>(board->seen), 0, board->seen_count);
  for (int t = 0; t < kMaxThreads; ++t) {
    board->lane_sent[t].store(0);
    board->lane_received[t].store(0);
  }
  for (int w = 0; w < workers; ++w)
    if (tproc_channel_create(64, 0, &board->inbox[w]) < 0) return 1;
  for (int t = 0; t < threads; ++t)
    if (tproc_channel_create(256, TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER, &board->lanes[t]) < 0)
      return 1;
  if (tproc_channel_create(victim_frees > 0 ? victim_frees : 1, 0, &board->frees) < 0) return 1;
  for (int i = 0; i < victim_frees; ++i) {
    void* block = tproc_heap_alloc(message_size(i));
    if (block == nullptr || tproc_channel_try_send(board->frees, block) < 0) return 1;
  }
  if (int error = tproc_publish("stress.board", board, kBoardKind); error < 0) {
    std::fprintf(stderr, "%s: publish stress.board: %s\n", role, std::strerror(-error));
    return 1;
  }
  std::printf("board at %p baseline bytes=%llu blocks=%llu\n", static_cast<void*>(board),
              (unsigned long long)baseline.bytes_in_use, (unsigned long long)baseline.blocks_in_use);
  std::fflush(stdout);

  // The victim comes, is killed by the test, and goes; the workers finish.
  if (int error = tproc_wait("stress.victim", 90000, nullptr); error < 0) {
    fail("no victim: %s", std::strerror(-error));
  } else {
    tproc_endpoint victim{};
    if (tproc_query("stress.victim", &victim) == 0) {
      if (int error = tproc_wait_gone("stress.victim", victim.generation, 90000); error < 0)
        fail("the victim never went: %s", std::strerror(-error));
    }
  }
  const long long deadline = now_ns() + 90'000'000'000LL;
  while (board->workers_done.load() < workers && now_ns() < deadline) usleep(10000);
  if (board->workers_done.load() < workers) fail("only %d of %d workers finished", board->workers_done.load(), workers);

  // Every message exactly once.
  uint64_t missing = 0, duplicated = 0;
  for (uint32_t sender = 0; sender <= uint32_t(workers); ++sender)
    for (uint32_t t = 0; t < uint32_t(threads); ++t)
      for (uint32_t m = 0; m < uint32_t(sender == uint32_t(workers) ? victim_messages : messages); ++m) {
        const uint8_t seen = board->seen[seen_index(sender, t, m)].load();
        missing += seen == 0;
        duplicated += seen > 1;
      }
  if (missing || duplicated) fail("%llu messages lost, %llu duplicated", (unsigned long long)missing, (unsigned long long)duplicated);
  if (board->delivered.load() != board->expected)
    fail("%llu messages delivered, expected %llu", (unsigned long long)board->delivered.load(), (unsigned long long)board->expected);
  // The victim's lanes: each a gap-free prefix; at most the one message whose count the kill cut.
  uint64_t lane_messages = 0;
  for (int t = 0; t < threads; ++t) {
    const uint64_t sent = board->lane_sent[t].load(), received = board->lane_received[t].load();
    lane_messages += received;
    if (received != sent && received != sent + 1)
      fail("victim lane %d: %llu sent, %llu received", t, (unsigned long long)sent, (unsigned long long)received);
  }
  // Nothing left anywhere.
  void* left = nullptr;
  for (int w = 0; w < workers; ++w)
    if (tproc_channel_try_recv(board->inbox[w], &left) != -EAGAIN) fail("inbox %d is not empty", w);
  for (int t = 0; t < threads; ++t)
    if (tproc_channel_try_recv(board->lanes[t], &left) != -EAGAIN) fail("lane %d is not empty", t);
  if (tproc_channel_try_recv(board->frees, &left) != -EAGAIN) fail("the victim left blocks unfreed");
  // The registry: nothing of the stress but the board (the workers withdrew theirs; the victim's
  // went with it). Retried for a moment: a worker's own exit is not yet reaped.
  std::vector<tproc_endpoint> endpoints(TPROC_MAX_ENDPOINTS);
  std::string stray;
  for (int attempt = 0; attempt < 250; ++attempt, usleep(20000)) {
    stray.clear();
    const int live = tproc_list(endpoints.data(), endpoints.size());
    for (int i = 0; i < live && i < TPROC_MAX_ENDPOINTS; ++i)
      if (std::strncmp(endpoints[i].name, "stress.", 7) == 0 && std::strcmp(endpoints[i].name, "stress.board") != 0)
        stray += std::string(" ") + endpoints[i].name;
    if (stray.empty()) break;
  }
  if (!stray.empty()) fail("endpoints left in the registry:%s", stray.c_str());

  const unsigned long long churn = board->churn_ops.load(), rendezvous_count = board->rendezvous.load(),
                           frees = board->cross_frees.load(), delivered = board->delivered.load();
  const int noticed = board->watchers_noticed.load(), failures = board->failures.load();
  const long long gone_ms = (board->last_noticed.load() - board->killed_at.load()) / 1'000'000;

  // Free everything; the heap must be back where it started.
  tproc_withdraw("stress.board");
  for (int w = 0; w < workers; ++w) tproc_channel_destroy(board->inbox[w]);
  for (int t = 0; t < threads; ++t) tproc_channel_destroy(board->lanes[t]);
  tproc_channel_destroy(board->frees);
  tproc_heap_free(board->seen);
  board->~Board();
  tproc_heap_free(board);
  board = nullptr;
  tproc_heap_stats after{};
  tproc_heap_usage(&after);
  const bool heap_ok = after.bytes_in_use == baseline.bytes_in_use && after.blocks_in_use == baseline.blocks_in_use;
  std::printf("heap after bytes=%llu blocks=%llu\n", (unsigned long long)after.bytes_in_use,
              (unsigned long long)after.blocks_in_use);
  if (!heap_ok) std::fprintf(stderr, "%s: FAIL the heap holds %llu bytes in %llu blocks, %llu in %llu at the start\n", role,
                             (unsigned long long)after.bytes_in_use, (unsigned long long)after.blocks_in_use,
                             (unsigned long long)baseline.bytes_in_use, (unsigned long long)baseline.blocks_in_use);
  if (failures != 0 || !heap_ok) {
    std::printf("stress FAILED (%d failures)\n", failures);
    return 1;
  }
  std::printf(
      "stress OK: %llu messages delivered exactly once (%llu cross-tproc frees), %llu victim lane messages in order, "
      "%llu churn cycles, %llu rendezvous, %d watchers saw the victim go (all within %lld ms of the kill); heap back to "
      "baseline\n",
      delivered, frees, (unsigned long long)lane_messages, churn, rendezvous_count, noticed, gone_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) {
    std::fprintf(stderr, "usage: registry_stress coordinator ...|worker INDEX|victim|churn\n");
    return 2;
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "registry_stress: not in a space\n");
    return 2;
  }
  const std::string command = argv[1];
  static std::string label = "registry_stress " + command + (argc > 2 && command == "worker" ? std::string(" ") + argv[2] : "");
  role = label.c_str();
  if (command == "coordinator") return coordinator(argc, argv);
  if (command == "worker" && argc == 3) return worker(std::atoi(argv[2]));
  if (command == "victim" && argc == 2) return victim();
  if (command == "churn" && argc == 2) return churn_alone();
  std::fprintf(stderr, "usage: registry_stress coordinator ...|worker INDEX|victim|churn\n");
  return 2;
}
