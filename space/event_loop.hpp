#pragma once
// EventLoop: readiness of many fds on one io_uring, for a single-threaded daemon.
//
// Each watch is a one-shot poll: its callback runs once, on the loop's thread, when the fd is
// ready (or fails); a callback re-arms by calling watch() again. A callback must never block:
// every fd the daemon reads is non-blocking or known ready.
//
// The rings live in memory the daemon allocates (IORING_SETUP_NO_MMAP), not in a mapping of the
// ring's fd: in the space's shared mm such a mapping would outlive a killed daemon, keeping the
// ring, its pending polls and every socket they watch alive, so clients would wait forever
// instead of seeing the daemon go. Kernels before 6.5 lack the flag and get liburing's mapping.

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "common/mapping.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// A single-threaded io_uring poll loop.
class EventLoop {
 public:
  /// Runs with the poll result: the ready events (POLLIN...) or -errno.
  using Callback = std::function<void(int result)>;

  static Result<EventLoop> create(unsigned entries = 256);

  /// Calls `callback` once `fd` is ready for `events`. Returns a token that cancel() accepts.
  uint64_t watch(int fd, unsigned events, Callback callback);
  /// Drops a watch; its callback will not run. Unknown or finished tokens are ignored.
  void cancel(uint64_t token);

  /// Submits pending watches, waits for at least one completion and runs the callbacks.
  Result<void> run_once();
  /// Makes run() return after the current iteration.
  void stop() { stopped_ = true; }
  /// Runs until stop().
  Result<void> run();

 private:
  EventLoop() = default;
  io_uring_sqe* next_sqe();

  struct RingCloser {
    void operator()(io_uring* ring) const {
      io_uring_queue_exit(ring);
      delete ring;
    }
  };
  std::unique_ptr<io_uring, RingCloser> ring_;  // set when liburing mapped the rings (old kernels)
  std::unique_ptr<io_uring> own_ring_;           // set when the rings live in memory of ours
  Mapping ring_memory_;
  Mapping sqe_memory_;
  UniqueFd ring_fd_;
  io_uring* ring() const { return own_ring_ ? own_ring_.get() : ring_.get(); }
  std::unordered_map<uint64_t, Callback> callbacks_;
  uint64_t next_token_ = 1;  // 0 marks completions nobody waits for (poll removals)
  bool stopped_ = false;
};

}  // namespace tproc::space
