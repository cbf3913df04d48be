#pragma once
// CLOCK_MONOTONIC in nanoseconds: the one clock the daemon measures deadlines, idleness and
// CPU shares with (never the wall clock, which may jump).

#include <time.h>

#include <cstdint>

namespace tproc {

/// CLOCK_MONOTONIC now, in nanoseconds.
inline uint64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace tproc
