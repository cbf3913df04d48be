// depends_on: whether a dependency is met, pending or failed, and the deadlines the loop waits for.

#include "compose/supervisor_loop.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

namespace tproc::compose {

SupervisorLoop::Verdict SupervisorLoop::evaluate(const Unit& unit, const Dependency& dependency, std::string& reason,
                                                 std::optional<Clock::time_point>& deadline) const {
  const Unit* target = nullptr;
  for (const auto& candidate : units_)
    if (candidate->name() == dependency.service) target = candidate.get();
  if (!target) {
    reason = "unknown service '" + dependency.service + "'";
    return Verdict::failed;
  }
  const std::string& name = target->name();
  auto last_exit = [&] { return target->last_exit ? describe_exit(*target->last_exit) : std::string("ended"); };
  if (target->phase == Phase::blocked) {
    reason = "its dependency " + name + " was not started (" + target->reason + ")";
    return Verdict::failed;
  }
  if (target->phase == Phase::stopped) {
    reason = "its dependency " + name + " was stopped";
    return Verdict::failed;
  }
  if (target->phase == Phase::active) {
    const bool all_finished = target->all_finished();
    switch (dependency.condition) {
      case Condition::started:
        if (std::all_of(target->replicas.begin(), target->replicas.end(), [](const Replica& r) { return r.ever_started; }))
          return Verdict::met;
        if (all_finished) {
          reason = name + " could not start";
          return Verdict::failed;
        }
        break;
      case Condition::ready:
        if (target->ready) return Verdict::met;
        if (target->ready_failed) {
          reason = name + " never became ready: " + target->ready_failure;
          return Verdict::failed;
        }
        if (all_finished) {
          reason = name + " " + last_exit() + " before it was ready";
          return Verdict::failed;
        }
        break;
      case Condition::completed_successfully:
        if (all_finished) {
          if (std::all_of(target->replicas.begin(), target->replicas.end(), [](const Replica& r) { return r.last_exit == 0; }))
            return Verdict::met;
          reason = name + " did not complete successfully: " + last_exit();
          return Verdict::failed;
        }
        break;
    }
  }
  const std::optional<milliseconds> limit =
      dependency.timeout ? dependency.timeout : dependency.condition == Condition::ready ? std::optional(kDefaultReadyTimeout) : std::nullopt;
  if (limit) {
    deadline = unit.waiting_since + *limit;
    if (Clock::now() >= *deadline) {
      const char* what = dependency.condition == Condition::ready     ? "become ready"
                         : dependency.condition == Condition::started ? "start"
                                                                      : "complete";
      reason = name + " did not " + what + " within " + describe_duration(*limit);
      return Verdict::failed;
    }
  }
  return Verdict::pending;
}

bool SupervisorLoop::settled() const {
  return std::none_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) { return unit->phase == Phase::waiting; });
}

bool SupervisorLoop::finished() const {
  return settled() && std::all_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) {
           return unit->phase != Phase::active || unit->all_finished();
         });
}

bool SupervisorLoop::any_failed() const {
  return std::any_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) { return unit->failed(); });
}

bool SupervisorLoop::anything_alive() const {
  auto alive = [](const std::unique_ptr<Unit>& unit) { return unit->alive(); };
  return std::any_of(units_.begin(), units_.end(), alive) || std::any_of(retired_.begin(), retired_.end(), alive);
}

std::optional<Clock::time_point> SupervisorLoop::next_deadline() const {
  std::optional<Clock::time_point> next;
  auto consider = [&](std::optional<Clock::time_point> at) {
    if (at && (!next || *at < *next)) next = at;
  };
  auto each = [&](const std::unique_ptr<Unit>& unit) {
    for (const Replica& replica : unit->replicas) {
      consider(replica.restart_at);
      if (replica.running && !replica.killed) consider(replica.kill_at);
    }
    if (unit->phase == Phase::waiting)
      for (const Dependency& dependency : unit->spec.service.depends_on) {
        std::string reason;
        std::optional<Clock::time_point> deadline;
        if (evaluate(*unit, dependency, reason, deadline) == Verdict::pending) consider(deadline);
      }
  };
  for (const auto& unit : units_) each(unit);
  for (const auto& unit : retired_) each(unit);
  return next;
}

}  // namespace tproc::compose
