#pragma once
// What the supervisor knows of each service it runs (compose/supervisor_loop.hpp): a Unit per
// service, a Replica per tproc it keeps running, and the readiness helper that watches the
// service's endpoints. Plain records: the loop's member functions change them.

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "compose/app_spec.hpp"
#include "protocol/connection.hpp"

namespace tproc::compose {

using Clock = std::chrono::steady_clock;

/// One replica of a service: the latest tproc started for it.
struct Replica {
  std::string name;  ///< the tproc's name: the service's, or SERVICE.N with several replicas
  uint64_t id = 0;
  pid_t pid = 0;
  UniqueFd pidfd;
  bool running = false;
  bool ever_started = false;
  bool finished = false;      ///< ended and will not be restarted
  bool failed = false;        ///< finished on its own with a non-zero status (or never started)
  bool start_failed = false;  ///< the latest start attempt failed
  Clock::time_point started_at{};
  std::optional<Clock::time_point> restart_at;
  uint32_t quick_restarts = 0;  ///< restarts in a row after short runs: the backoff's exponent
  uint32_t failures = 0;        ///< restarts in a row after failures: what on-failure:max bounds
  std::optional<int> last_exit;
  bool signaled = false;  ///< we asked it to stop
  std::optional<Clock::time_point> kill_at;
  bool killed = false;
};

/// The tproc-ready-wait helper running for a service's first replica.
struct ReadyWaiter {
  std::optional<protocol::Connection> connection;  ///< the attached run: Exited arrives here
  UniqueFd pidfd;
};

enum class Phase { waiting, active, blocked, stopped };

/// One service as the supervisor runs it.
struct Unit {
  ServiceSpec spec;
  std::string definition;
  Phase phase = Phase::waiting;
  Clock::time_point waiting_since = Clock::now();
  std::vector<Replica> replicas;
  uint32_t restarts = 0;
  std::optional<int> last_exit;
  std::string reason;  ///< why it is blocked
  bool ready = false;
  bool ready_failed = false;
  std::string ready_failure;
  bool retiring = false;  ///< being stopped for good (down, removed, replaced)
  std::optional<ReadyWaiter> waiter;

  const std::string& name() const { return spec.service.name; }
  bool alive() const {
    return waiter.has_value() || std::any_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.running; });
  }
  bool all_finished() const {
    return !replicas.empty() && std::all_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.finished; });
  }
  bool failed() const {
    return phase == Phase::blocked || std::any_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.failed; });
  }
};

}  // namespace tproc::compose
