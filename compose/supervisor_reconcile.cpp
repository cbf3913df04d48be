// Reconciling: a new spec replaces what changed, `down` retires everything, and each step starts,
// stops and kills what the app's state calls for.

#include "compose/supervisor_loop.hpp"

#include <signal.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "compose/restart_policy.hpp"

namespace tproc::compose {

Unit* SupervisorLoop::find_unit(const std::string& name) {
  for (auto& unit : units_)
    if (unit->name() == name) return unit.get();
  return nullptr;
}

void SupervisorLoop::apply(AppSpec spec) {
  auto graph = DependencyGraph::create(
      [&] {
        std::vector<Service> services;
        for (const ServiceSpec& service : spec.services) services.push_back(service.service);
        return services;
      }(),
      spec.compose_file);
  if (!graph) {
    say("error: " + graph.error().describe());
    return;
  }
  // Services that are gone or changed stop (and changed ones start again once stopped); the rest
  // keep running untouched. One that failed or could not start is started again; one that
  // completed is left alone (a client that did its work), unless the whole app has ended, in which
  // case `up` runs it all again.
  auto over = [](const std::unique_ptr<Unit>& unit) {
    return unit->phase != Phase::waiting && !unit->alive() &&
           std::none_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.restart_at.has_value(); });
  };
  const bool app_ended = !units_.empty() && std::all_of(units_.begin(), units_.end(), over);
  std::vector<std::unique_ptr<Unit>> next;
  for (const std::string& name : graph->start_order()) {
    const ServiceSpec& wanted = *spec.find(name);
    const std::string definition = wanted.definition();
    std::unique_ptr<Unit> unit;
    for (auto& current : units_)
      if (current && current->name() == name) unit = std::move(current);
    if (unit && unit->definition != definition) {
      say(name + ": definition changed: replacing it");
      unit->retiring = true;
      retired_.push_back(std::move(unit));
    } else if (unit && over(unit) && (unit->failed() || app_ended)) {
      say(name + ": " + (unit->failed() ? "did not run to success" : "has ended") + ": starting it again");
      unit->retiring = true;  // nothing of it runs: this only clears its record
      retired_.push_back(std::move(unit));
    }
    if (!unit) {
      unit = std::make_unique<Unit>();
      unit->definition = definition;
    }
    unit->spec = wanted;
    next.push_back(std::move(unit));
  }
  for (auto& removed : units_) {
    if (!removed) continue;
    say(removed->name() + ": removed from the app: stopping it");
    removed->retiring = true;
    retired_.push_back(std::move(removed));
  }
  units_ = std::move(next);
  spec_ = std::move(spec);
  graph_ = std::move(*graph);
  dirty_ = true;
}

bool SupervisorLoop::restart(Client& client, const std::vector<std::string>& services) {
  for (const std::string& name : services)
    if (!find_unit(name)) {
      (void)client.link.send({"say", "error: the app " + spec_.name + " has no service '" + name + "'"});
      return false;
    }
  // As a replaced definition is: the old unit stops as `down` would stop it, a new one with the same
  // spec waits for it to be gone, then starts once its dependencies hold. Dependents keep running.
  for (auto& unit : units_) {
    if (!services.empty() && std::find(services.begin(), services.end(), unit->name()) == services.end()) continue;
    auto fresh = std::make_unique<Unit>();
    fresh->spec = unit->spec;
    fresh->definition = unit->definition;
    fresh->restarts = unit->restarts;
    say(unit->name() + ": restarting");
    unit->retiring = true;
    retired_.push_back(std::move(unit));
    unit = std::move(fresh);
  }
  dirty_ = true;
  return true;
}

void SupervisorLoop::begin_down() {
  if (down_) return;
  down_ = true;
  say("stopping " + spec_.name + " (in reverse dependency order)");
  for (auto& unit : units_) unit->retiring = true;
  dirty_ = true;
}

bool SupervisorLoop::depended_on_by_retiring(const Unit& unit) const {
  auto waits_for_it = [&](const std::unique_ptr<Unit>& other) {
    if (!other || other.get() == &unit || !other->retiring || !other->alive()) return false;
    for (const Dependency& dependency : other->spec.service.depends_on)
      if (dependency.service == unit.name()) return true;
    return false;
  };
  return std::any_of(units_.begin(), units_.end(), waits_for_it) || std::any_of(retired_.begin(), retired_.end(), waits_for_it);
}

void SupervisorLoop::stop_replicas(Unit& unit) {
  const auto now = Clock::now();
  for (Replica& replica : unit.replicas) {
    replica.restart_at.reset();
    if (!replica.running) {
      replica.finished = true;
      continue;
    }
    if (replica.signaled) continue;
    replica.signaled = true;
    replica.kill_at = now + unit.spec.service.stop_grace_period;
    say(replica.name + ": stopping (SIG" + signal_name(unit.spec.service.stop_signal) + ", SIGKILL after " +
        describe_duration(unit.spec.service.stop_grace_period) + ")");
    pidfd_signal(replica.pidfd.get(), unit.spec.service.stop_signal);
  }
}

void SupervisorLoop::step() {
  const auto now = Clock::now();
  auto each_unit = [&](const std::function<void(Unit&)>& action) {
    for (auto& unit : units_) action(*unit);
    for (auto& unit : retired_) action(*unit);
  };

  // Stopping: a retiring service stops once nothing retiring that depends on it still runs;
  // whatever outlives its grace period is killed.
  each_unit([&](Unit& unit) {
    if (!unit.retiring) return;
    if (unit.phase == Phase::waiting) {
      unit.phase = Phase::stopped;
      dirty_ = true;
    }
    if (unit.waiter) stop_waiter(unit);
    if (!depended_on_by_retiring(unit)) stop_replicas(unit);
    else
      for (Replica& replica : unit.replicas) replica.restart_at.reset();
    for (Replica& replica : unit.replicas) {
      if (replica.running && replica.kill_at && !replica.killed && *replica.kill_at <= now) {
        replica.killed = true;
        say(replica.name + ": still running after " + describe_duration(unit.spec.service.stop_grace_period) + ": SIGKILL");
        pidfd_signal(replica.pidfd.get(), SIGKILL);
      }
      if (!replica.running && !replica.finished) replica.finished = true;
    }
  });

  // Restarts that are due.
  for (auto& unit : units_)
    for (size_t i = 0; i < unit->replicas.size(); ++i)
      if (!unit->retiring && unit->replicas[i].restart_at && *unit->replicas[i].restart_at <= now) {
        unit->replicas[i].restart_at.reset();
        start_replica(*unit, i, true);
      }

  // Waiting services whose dependencies are met start; those whose dependencies failed are blocked.
  // One pass in start order, so a chain of `started` dependencies starts in one step.
  for (auto& unit : units_) {
    if (unit->phase != Phase::waiting || unit->retiring) continue;
    // A replaced service's new tprocs take its names: they wait until the old ones are gone.
    const bool predecessor_alive = std::any_of(retired_.begin(), retired_.end(), [&](const std::unique_ptr<Unit>& old) {
      return old->name() == unit->name() && old->alive();
    });
    if (predecessor_alive) continue;
    bool all_met = true;
    std::string reason;
    for (const Dependency& dependency : unit->spec.service.depends_on) {
      std::optional<Clock::time_point> deadline;
      const Verdict verdict = evaluate(*unit, dependency, reason, deadline);
      if (verdict == Verdict::failed) {
        unit->phase = Phase::blocked;
        unit->reason = reason;
        dirty_ = true;
        say(unit->name() + ": not started: " + reason);
        break;
      }
      if (verdict == Verdict::pending) all_met = false;
    }
    if (unit->phase == Phase::waiting && all_met) start_unit(*unit);
  }

  // Retired services that have stopped are forgotten.
  std::erase_if(retired_, [](const std::unique_ptr<Unit>& unit) { return !unit->alive(); });

  // Answers, once the state file says what they announce (a client may run `ps` next).
  if (dirty_) save_state();
  for (auto& client : clients_) {
    if (client->closed) continue;
    if (client->awaiting_settle && settled()) {
      client->awaiting_settle = false;
      if (client->follow)
        for (auto& unit : units_)
          for (const Replica& replica : unit->replicas)
            if (replica.ever_started)
              if (!client->link.send({"tproc", unit->name(), std::to_string(replica.id), replica.name})) client->closed = true;
      bool could_not_start = false;
      for (auto& unit : units_)
        could_not_start |= unit->phase == Phase::blocked ||
                           std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.start_failed && r.finished; });
      if (!client->link.send({"settled", could_not_start ? "1" : "0"})) client->closed = true;
      if (!client->follow) client->closed = true;
    }
    if (client->follow && !client->awaiting_settle && !client->finished_sent && !down_ && finished()) {
      client->finished_sent = true;
      if (!client->link.send({"finished", any_failed() ? "1" : "0"})) client->closed = true;
    }
  }
  std::erase_if(clients_, [](const std::unique_ptr<Client>& client) { return client->closed; });
}

}  // namespace tproc::compose
