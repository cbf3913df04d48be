#include "compose/restart_policy.hpp"

#include <signal.h>

#include <algorithm>

namespace tproc::compose {

bool should_restart(const RestartPolicy& policy, int status, uint32_t failures) {
  switch (policy.mode) {
    case RestartMode::no: return false;
    case RestartMode::always: return true;
    case RestartMode::on_failure: return status != 0 && (!policy.max_retries || failures < *policy.max_retries);
    case RestartMode::unless_stopped: return status != 128 + SIGTERM && status != 128 + SIGINT;
  }
  return false;
}

std::chrono::milliseconds backoff(uint32_t consecutive) {
  const uint32_t doublings = std::min<uint32_t>(consecutive, 9);  // 100 ms << 9 = 51 s: capped below
  return std::min(std::chrono::milliseconds(100LL << doublings), std::chrono::milliseconds(30000));
}

}  // namespace tproc::compose
