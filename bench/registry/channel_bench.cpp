// channel_bench [ROUND_TRIPS]: handing a pointer between two processes of one address space over a
// tproc channel, against a Unix socket and a pipe between two ordinary processes, all in the same
// run. Asserts no timing; fails only when a message comes back wrong.
//
// - round trip of one pointer-sized message (p50/p90, ns): the channel spinning (try_send /
//   try_recv loops), the channel's blocking calls (tproc_channel_send/recv: a brief spin, then a
//   futex), a socketpair and two pipes (read/write, blocking); then the channel and the socket with
//   a 200 us pause before each ping, so that the peer is asleep (futex or read) when it arrives.
//   Goals: spinning p50 <= 1 us, blocking p50 <= 10 us, >= 10x better than the Unix socket.
// - handing over a buffer of 4 KiB .. 64 MiB and getting an acknowledgement: the channel passes
//   the pointer (constant time: the receiver checks it sees the producer's address and bytes),
//   the socket copies every byte through the kernel.
//
// The channel's peer is a clone(CLONE_VM) child — a process of its own in this mm, as a tproc is in
// its daemon's — that runs only libtproc's lock-free code and raw system calls (it shares this
// thread's TLS, so it must not touch malloc or stdio). The baselines' peer is a fork() child.
#include <tproc/tproc.h>

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../bench_support.hpp"
#include "bench_space.hpp"

namespace {

using tproc::bench::now_ns;
using tproc::bench::Stats;
using tproc::bench::summarize;

[[noreturn]] void wrong(const char* what) {
  std::fprintf(stderr, "channel_bench: wrong result: %s\n", what);
  std::exit(1);
}

/// How the echo child receives and sends.
enum class Mode : int { spinning = 0, blocking = 1, handover = 2 };

/// What the parent and the clone(CLONE_VM) child share.
struct Link {
  tproc_channel* ping;
  tproc_channel* pong;
  Mode mode;
};

/// A buffer handed over: where it is and how big; the child answers with what it saw.
struct Buffer {
  unsigned char* bytes;
  size_t size;
  unsigned char first_seen;
  unsigned char last_seen;
};

int echo(void* argument) {
  auto* link = static_cast<Link*>(argument);
  for (;;) {
    void* message = nullptr;
    if (link->mode == Mode::spinning) {
      while (tproc_channel_try_recv(link->ping, &message) == -EAGAIN) {
      }
    } else if (tproc_channel_recv(link->ping, &message, -1) != 0) {
      return 0;  // closed
    }
    if (message == nullptr) return 0;
    if (link->mode == Mode::handover) {
      auto* buffer = static_cast<Buffer*>(message);
      buffer->first_seen = buffer->bytes[0];
      buffer->last_seen = buffer->bytes[buffer->size - 1];
    }
    if (link->mode == Mode::spinning) {
      while (tproc_channel_try_send(link->pong, message) == -EAGAIN) {
      }
    } else {
      tproc_channel_send(link->pong, message, -1);
    }
  }
}

/// A clone(CLONE_VM) child running echo(link).
class EchoChild {
 public:
  explicit EchoChild(Link* link) : link_(link) {
    stack_ = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack_ == MAP_FAILED) wrong("mmap a stack");
    pid_ = clone(echo, static_cast<char*>(stack_) + kStack, CLONE_VM | SIGCHLD, link);
    if (pid_ < 0) wrong("clone");
  }
  ~EchoChild() {
    tproc_channel_send(link_->ping, nullptr, 1000);  // the stop message
    int status = 0;
    waitpid(pid_, &status, 0);
    munmap(stack_, kStack);
  }

 private:
  static constexpr size_t kStack = 256 << 10;
  Link* link_;
  void* stack_;
  pid_t pid_;
};

/// Between pings when measuring a peer that is asleep: long enough for it to fall asleep.
constexpr int kNapMicroseconds = 200;

Stats channel_round_trips(Mode mode, int count, bool nap = false) {
  Link link{nullptr, nullptr, mode};
  const unsigned flags = TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER;
  if (tproc_channel_create(2, flags, &link.ping) != 0 || tproc_channel_create(2, flags, &link.pong) != 0)
    wrong("create channels");
  std::vector<double> samples;
  {
    EchoChild child(&link);
    for (int i = -count / 10; i < count; ++i) {  // the first tenth warms up
      void* sent = reinterpret_cast<void*>(uintptr_t(i + count + 1));
      void* received = nullptr;
      if (nap) usleep(kNapMicroseconds);
      const long long start = now_ns();
      if (mode == Mode::spinning) {
        while (tproc_channel_try_send(link.ping, sent) == -EAGAIN) {
        }
        while (tproc_channel_try_recv(link.pong, &received) == -EAGAIN) {
        }
      } else {
        if (tproc_channel_send(link.ping, sent, -1) != 0 || tproc_channel_recv(link.pong, &received, -1) != 0)
          wrong("channel send/recv");
      }
      const long long elapsed = now_ns() - start;
      if (received != sent) wrong("the echo is not the message sent");
      if (i >= 0) samples.push_back(static_cast<double>(elapsed));
    }
  }
  tproc_channel_destroy(link.ping);
  tproc_channel_destroy(link.pong);
  return summarize(samples);
}

/// Round trips of an 8-byte message over a pair of descriptors to a fork() child that echoes.
Stats fd_round_trips(bool socket, int count, bool nap = false) {
  int to_child[2], to_parent[2];
  if (socket) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, to_child) != 0) wrong("socketpair");
    to_parent[0] = to_child[0];
    to_parent[1] = to_child[1];
  } else if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    wrong("pipe");
  }
  // For a socketpair one descriptor per side: the parent uses [0], the child [1].
  const int parent_write = socket ? to_child[0] : to_child[1];
  const int parent_read = socket ? to_child[0] : to_parent[0];
  const int child_read = socket ? to_child[1] : to_child[0];
  const int child_write = socket ? to_child[1] : to_parent[1];
  const pid_t pid = fork();
  if (pid == 0) {
    uint64_t value;
    while (read(child_read, &value, sizeof value) == sizeof value && value != 0)
      if (write(child_write, &value, sizeof value) != sizeof value) break;
    _exit(0);
  }
  std::vector<double> samples;
  for (int i = -count / 10; i < count; ++i) {
    uint64_t sent = uint64_t(i + count + 1), received = 0;
    if (nap) usleep(kNapMicroseconds);
    const long long start = now_ns();
    if (write(parent_write, &sent, sizeof sent) != sizeof sent || read(parent_read, &received, sizeof received) != sizeof received)
      wrong("fd round trip");
    const long long elapsed = now_ns() - start;
    if (received != sent) wrong("the echo is not the message sent");
    if (i >= 0) samples.push_back(static_cast<double>(elapsed));
  }
  uint64_t stop = 0;
  if (write(parent_write, &stop, sizeof stop) != sizeof stop) wrong("stop the echo child");
  waitpid(pid, nullptr, 0);
  for (int fd : {to_child[0], to_child[1]}) close(fd);
  if (!socket)
    for (int fd : {to_parent[0], to_parent[1]}) close(fd);
  return summarize(samples);
}

/// Median time to hand over `size` bytes through the channel (the pointer) and be acknowledged.
double channel_handover_ns(size_t size, int count) {
  Link link{nullptr, nullptr, Mode::handover};
  if (tproc_channel_create(2, 0, &link.ping) != 0 || tproc_channel_create(2, 0, &link.pong) != 0) wrong("create");
  auto* bytes = static_cast<unsigned char*>(tproc_heap_alloc(size));
  if (bytes == nullptr) wrong("allocate the buffer in the space heap");
  std::memset(bytes, 0x5a, size);
  bytes[0] = 1;
  bytes[size - 1] = 2;
  auto* buffer = static_cast<Buffer*>(tproc_heap_alloc(sizeof(Buffer)));
  std::vector<double> samples;
  {
    EchoChild child(&link);
    for (int i = 0; i < count; ++i) {
      *buffer = Buffer{bytes, size, 0, 0};
      void* received = nullptr;
      const long long start = now_ns();
      if (tproc_channel_send(link.ping, buffer, -1) != 0 || tproc_channel_recv(link.pong, &received, -1) != 0)
        wrong("handover");
      samples.push_back(static_cast<double>(now_ns() - start));
      // Zero copy: the receiver saw the producer's own bytes at the producer's address.
      if (received != buffer || buffer->first_seen != 1 || buffer->last_seen != 2) wrong("the receiver saw other bytes");
    }
  }
  tproc_heap_free(buffer);
  tproc_heap_free(bytes);
  tproc_channel_destroy(link.ping);
  tproc_channel_destroy(link.pong);
  return summarize(samples).p50;
}

/// Median time to write `size` bytes to a Unix socket and have a fork() child read them all and
/// acknowledge.
double socket_handover_ns(size_t size, int count) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) wrong("socketpair");
  std::vector<unsigned char> bytes(size, 0x5a);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pair[0]);  // else the parent's close would never read as EOF here
    std::vector<unsigned char> into(size);
    for (;;) {
      size_t got = 0;
      while (got < size) {
        const ssize_t n = read(pair[1], into.data() + got, size - got);
        if (n <= 0) _exit(0);
        got += static_cast<size_t>(n);
      }
      const char ack = static_cast<char>(into[size - 1]);
      if (write(pair[1], &ack, 1) != 1) _exit(1);
    }
  }
  std::vector<double> samples;
  for (int i = 0; i < count; ++i) {
    const long long start = now_ns();
    size_t sent = 0;
    while (sent < size) {
      const ssize_t n = write(pair[0], bytes.data() + sent, size - sent);
      if (n <= 0) wrong("socket write");
      sent += static_cast<size_t>(n);
    }
    char ack = 0;
    if (read(pair[0], &ack, 1) != 1 || ack != 0x5a) wrong("socket ack");
    samples.push_back(static_cast<double>(now_ns() - start));
  }
  close(pair[0]);
  waitpid(pid, nullptr, 0);
  close(pair[1]);
  return summarize(samples).p50;
}

void print_row(const char* name, const Stats& stats, const Stats& socket) {
  std::printf("  %-34s %10.0f %10.0f %12.1fx\n", name, stats.p50, stats.p90, socket.p50 / stats.p50);
}

}  // namespace

int main(int argc, char** argv) {
  const auto round_trips = tproc::bench::count_arg(argc, argv, 1, 100'000);
  if (!round_trips) {
    std::fprintf(stderr, "usage: %s [ROUND_TRIPS]   (default 100000)\n", argv[0]);
    return 2;
  }
  tproc::bench::InProcessSpace space;
  const int count = *round_trips;

  const Stats spinning = channel_round_trips(Mode::spinning, count);
  const Stats blocking = channel_round_trips(Mode::blocking, count);
  const Stats socket = fd_round_trips(true, count);
  const Stats pipe = fd_round_trips(false, count);
  const int napping = std::max(count / 50, 200);
  const Stats blocking_asleep = channel_round_trips(Mode::blocking, napping, true);
  const Stats socket_asleep = fd_round_trips(true, napping, true);
  std::printf("pointer round trip between two processes (ns; goals: spinning p50 <= 1000, blocking p50 <= 10000,\n"
              ">= 10x better than the Unix socket)\n");
  std::printf("  %-34s %10s %10s %13s\n", "", "p50", "p90", "vs socket p50");
  print_row("tproc channel, spinning", spinning, socket);
  print_row("tproc channel, blocking calls", blocking, socket);
  print_row("Unix socket (socketpair)", socket, socket);
  print_row("pipe", pipe, socket);
  std::printf("  each ping after a %d us pause, so the peer is asleep when it comes:\n", kNapMicroseconds);
  print_row("tproc channel, blocking (futex)", blocking_asleep, socket_asleep);
  print_row("Unix socket", socket_asleep, socket_asleep);

  std::printf("\nhanding over a buffer and getting an acknowledgement (p50, us)\n");
  std::printf("  %-10s %16s %16s %10s\n", "bytes", "tproc channel", "Unix socket", "ratio");
  for (size_t size : {size_t{4} << 10, size_t{1} << 20, size_t{16} << 20, size_t{64} << 20}) {
    const int repeats = size >= (16u << 20) ? 10 : 200;
    const double channel = channel_handover_ns(size, repeats);
    const double socket_copy = socket_handover_ns(size, repeats);
    std::printf("  %-10zu %16.1f %16.1f %9.0fx\n", size, channel / 1000, socket_copy / 1000, socket_copy / channel);
  }
  return 0;
}
