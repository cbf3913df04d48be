// The channel half of the C API (the layout and the why: libtproc/channel.hpp).

#include "libtproc/channel.hpp"

#include <sched.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "cpu_relax.hpp"
#include "libtproc/attachment.hpp"
#include "registry/futex.hpp"
#include "registry/space_heap.hpp"
#include "tproc/tproc.h"

namespace {

using tproc::lib::ChannelCell;
using tproc::lib::cells_of;
using tproc::registry::Deadline;

constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;
constexpr auto seq_cst = std::memory_order_seq_cst;

/// Before it sleeps, a blocking call polls: first a few hundred times with a spin hint (a peer on
/// another core answers within a microsecond), then yielding the CPU between polls until
/// kPatienceNanoseconds have passed. Yielding matters when the peer runs on the same core (a
/// loaded machine puts a woken peer next to its waker): spinning there would keep the peer from
/// answering. The patience is longer than a futex wake-up (7-15 us measured on the reference VM),
/// so two peers in a tight exchange do not settle into waking each other from sleep every time.
constexpr int kSpinPolls = 256;
constexpr long kPatienceNanoseconds = 20'000;

long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000L + now.tv_nsec;
}

bool valid(const tproc_channel* channel) { return channel != nullptr && channel->magic == tproc::lib::kChannelMagic; }

/// Wakes one sleeper on `event` if any registered (after an operation that may let it go on).
void notify(std::atomic<uint32_t>& event, std::atomic<uint32_t>& waiting) {
  // Orders our cell update before the load of `waiting`; pairs with the fence in sleep().
  std::atomic_thread_fence(seq_cst);
  if (waiting.load(relaxed) != 0) {
    event.fetch_add(1, seq_cst);
    tproc::registry::futex_wake(&event, 1);
  }
}

int try_send(tproc_channel* channel, void* message) {
  if (channel->closed.load(acquire)) return -EPIPE;
  ChannelCell* cells = cells_of(channel);
  const bool single = channel->flags & TPROC_CHANNEL_SINGLE_PRODUCER;
  uint64_t position = channel->tail.load(relaxed);
  ChannelCell* cell;
  for (;;) {
    cell = &cells[position & channel->mask];
    const int64_t turn = static_cast<int64_t>(cell->seq.load(acquire) - position);
    if (turn == 0) {
      if (single) {
        channel->tail.store(position + 1, relaxed);
        break;
      }
      if (channel->tail.compare_exchange_weak(position, position + 1, relaxed)) break;
    } else if (turn < 0) {
      return -EAGAIN;  // the cell still holds the message from one lap ago: full
    } else {
      position = channel->tail.load(relaxed);
    }
  }
  cell->message.store(reinterpret_cast<uint64_t>(message), relaxed);
  cell->seq.store(position + 1, release);
  notify(channel->readable, channel->receivers_waiting);
  return 0;
}

int try_recv(tproc_channel* channel, void** message) {
  ChannelCell* cells = cells_of(channel);
  const bool single = channel->flags & TPROC_CHANNEL_SINGLE_CONSUMER;
  uint64_t position = channel->head.load(relaxed);
  ChannelCell* cell;
  for (;;) {
    cell = &cells[position & channel->mask];
    const int64_t turn = static_cast<int64_t>(cell->seq.load(acquire) - (position + 1));
    if (turn == 0) {
      if (single) {
        channel->head.store(position + 1, relaxed);
        break;
      }
      if (channel->head.compare_exchange_weak(position, position + 1, relaxed)) break;
    } else if (turn < 0) {
      return channel->closed.load(acquire) ? -EPIPE : -EAGAIN;  // empty
    } else {
      position = channel->head.load(relaxed);
    }
  }
  *message = reinterpret_cast<void*>(cell->message.load(relaxed));
  cell->seq.store(position + channel->mask + 1, release);
  notify(channel->writable, channel->senders_waiting);
  return 0;
}

/// Runs `attempt` until it stops returning -EAGAIN: polls, then sleeps on `event` between tries.
template <class Attempt>
int block(std::atomic<uint32_t>& event, std::atomic<uint32_t>& waiting, int timeout_ms, Attempt attempt) {
  int result = attempt();
  if (result != -EAGAIN || timeout_ms == 0) return result == -EAGAIN ? -ETIMEDOUT : result;
  const Deadline deadline = Deadline::after_ms(timeout_ms);
  for (int poll = 0; poll < kSpinPolls; ++poll) {
    tproc::registry::cpu_relax();
    if ((result = attempt()) != -EAGAIN) return result;
  }
  const long patience_ends = monotonic_ns() + kPatienceNanoseconds;
  do {
    sched_yield();
    if ((result = attempt()) != -EAGAIN) return result;
  } while (monotonic_ns() < patience_ends);
  for (;;) {
    waiting.fetch_add(1, seq_cst);
    std::atomic_thread_fence(seq_cst);  // pairs with the fence in notify()
    const uint32_t seen = event.load(seq_cst);
    result = attempt();
    if (result == -EAGAIN) result = tproc::registry::futex_wait(&event, seen, deadline);
    else result = result == 0 ? 1 : result;  // done: leave the loop below
    waiting.fetch_sub(1, seq_cst);
    if (result == 1) return 0;
    if (result < 0) {
      if (result != -ETIMEDOUT && result != -EINTR) return result;  // -EPIPE
      // A last try: the wake-up may have raced with the deadline.
      const int last = attempt();
      return last == -EAGAIN ? result : last;
    }
  }
}

}  // namespace

extern "C" {

TPROC_API int tproc_channel_create(size_t capacity, unsigned flags, tproc_channel** channel) {
  if (channel == nullptr || capacity == 0 || capacity > TPROC_CHANNEL_MAX_CAPACITY ||
      (flags & ~(TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER)) != 0)
    return -EINVAL;
  uint64_t cells = 2;
  while (cells < capacity) cells *= 2;
  int error = 0;
  if (tproc::lib::attached_heap(&error) == nullptr) return error;
  // Heap blocks of 256 bytes and more are 64-byte aligned (their size classes are multiples of 64
  // in 64 KiB chunks), as the channel's cache-line-aligned members need.
  static_assert(alignof(tproc_channel) == 64 && sizeof(tproc_channel) >= 256);
  void* memory = tproc_heap_alloc(tproc::lib::channel_bytes(cells));  // through this thread's cache
  if (memory == nullptr) return -ENOMEM;
  if (reinterpret_cast<uintptr_t>(memory) % alignof(tproc_channel) != 0) {  // cannot happen; never corrupt
    tproc_heap_free(memory);
    return -ENOMEM;
  }

  auto* created = static_cast<tproc_channel*>(memory);
  created->capacity = static_cast<uint32_t>(cells);
  created->flags = flags;
  created->mask = cells - 1;
  created->tail.store(0, relaxed);
  created->head.store(0, relaxed);
  created->readable.store(0, relaxed);
  created->receivers_waiting.store(0, relaxed);
  created->writable.store(0, relaxed);
  created->senders_waiting.store(0, relaxed);
  created->closed.store(0, relaxed);
  ChannelCell* cell = cells_of(created);
  for (uint64_t i = 0; i < cells; ++i) {
    cell[i].seq.store(i, relaxed);
    cell[i].message.store(0, relaxed);
  }
  created->magic = tproc::lib::kChannelMagic;
  // Whoever receives the address (through the registry, itself ordered) sees the channel complete.
  std::atomic_thread_fence(release);
  *channel = created;
  return 0;
}

TPROC_API int tproc_channel_destroy(tproc_channel* channel) {
  if (!valid(channel)) return -EINVAL;
  channel->magic = 0;
  return tproc_heap_free(channel);
}

TPROC_API int tproc_channel_send(tproc_channel* channel, void* message, int timeout_ms) {
  if (!valid(channel)) return -EINVAL;
  return block(channel->writable, channel->senders_waiting, timeout_ms, [&] { return try_send(channel, message); });
}

TPROC_API int tproc_channel_try_send(tproc_channel* channel, void* message) {
  if (!valid(channel)) return -EINVAL;
  return try_send(channel, message);
}

TPROC_API int tproc_channel_recv(tproc_channel* channel, void** message, int timeout_ms) {
  if (!valid(channel) || message == nullptr) return -EINVAL;
  return block(channel->readable, channel->receivers_waiting, timeout_ms, [&] { return try_recv(channel, message); });
}

TPROC_API int tproc_channel_try_recv(tproc_channel* channel, void** message) {
  if (!valid(channel) || message == nullptr) return -EINVAL;
  return try_recv(channel, message);
}

TPROC_API int tproc_channel_close(tproc_channel* channel) {
  if (!valid(channel)) return -EINVAL;
  channel->closed.store(1, seq_cst);
  for (std::atomic<uint32_t>* event : {&channel->readable, &channel->writable}) {
    event->fetch_add(1, seq_cst);
    tproc::registry::futex_wake(event, INT_MAX);
  }
  return 0;
}

TPROC_API long tproc_channel_capacity(const tproc_channel* channel) {
  if (!valid(channel)) return -EINVAL;
  return channel->capacity;
}

}  // extern "C"
