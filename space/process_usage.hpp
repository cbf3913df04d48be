#pragma once
// ProcessUsage: what the kernel counts for one process of the space that is its own and not the
// shared mm's: CPU time of its threads, how many threads, how many open descriptors.

#include <sys/types.h>

#include <cstdint>

#include "common/monotonic_clock.hpp"
#include "common/result.hpp"

namespace tproc::space {

/// One process's own counters, from /proc/PID.
struct ProcessUsage {
  uint64_t cpu_ns = 0;  ///< utime + stime of its threads (/proc/PID/stat), in nanoseconds
  uint32_t threads = 0;
  uint32_t fds = 0;     ///< entries in /proc/PID/fd
  /// Reads them; ESRCH once the process has gone.
  static Result<ProcessUsage> read(pid_t pid);
};

}  // namespace tproc::space
