#pragma once
// Futex waits and wakes on words in the space's shared memory.
//
// Why FUTEX_PRIVATE_FLAG works across tprocs: a private futex is keyed on (mm, address), and every
// tproc of a space shares the daemon's mm (CLONE_VM), so a tproc sleeping on a registry word is
// woken by any other tproc or by the daemon (tests/registry/multiprocess_test.cpp proves it with
// clone(CLONE_VM) children). It also spares the kernel the shared-futex page lookup. The one place
// a private key would be wrong is a process with another mm (a tproc's fork() child): libtproc
// detaches itself in such a child (libtproc/attachment.cpp), so it never waits on these words.
//
// Deadlines are absolute CLOCK_MONOTONIC times, so a wait loop that wakes for another reason
// keeps its original deadline without recomputing a relative timeout.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>

namespace tproc::registry {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free,
              "a futex word must be a plain 32-bit word");

/// A point in CLOCK_MONOTONIC time, or none (wait forever).
struct Deadline {
  bool forever = true;
  timespec at{};

  /// The deadline `timeout_ms` from now; a negative timeout means none.
  static Deadline after_ms(int timeout_ms) {
    Deadline deadline;
    if (timeout_ms < 0) return deadline;
    deadline.forever = false;
    clock_gettime(CLOCK_MONOTONIC, &deadline.at);
    deadline.at.tv_sec += timeout_ms / 1000;
    deadline.at.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1'000'000L;
    if (deadline.at.tv_nsec >= 1'000'000'000L) {
      deadline.at.tv_sec += 1;
      deadline.at.tv_nsec -= 1'000'000'000L;
    }
    return deadline;
  }

  /// Whether the deadline has passed.
  bool passed() const {
    if (forever) return false;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > at.tv_sec || (now.tv_sec == at.tv_sec && now.tv_nsec >= at.tv_nsec);
  }
};

/// Sleeps while `*word == expected`, until woken or `deadline`. Returns 0 (woken, or the word had
/// already changed, or a spurious wake-up: the caller re-checks), -ETIMEDOUT or -EINTR.
inline int futex_wait(std::atomic<uint32_t>* word, uint32_t expected, const Deadline& deadline) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (plain FUTEX_WAIT: relative).
  const long result = ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                                expected, deadline.forever ? nullptr : &deadline.at, nullptr, FUTEX_BITSET_MATCH_ANY);
  if (result == 0) return 0;
  if (errno == ETIMEDOUT) return -ETIMEDOUT;
  if (errno == EINTR) return -EINTR;
  return 0;  // EAGAIN: the word changed before we slept
}

/// Wakes up to `count` sleepers on `word`.
inline void futex_wake(std::atomic<uint32_t>* word, int count = INT_MAX) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, nullptr, nullptr, 0);
}

}  // namespace tproc::registry
