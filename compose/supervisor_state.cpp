// The app's state file (compose/app_state.hpp), rewritten after every change, for `tproc ps`.

#include "compose/supervisor_loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "compose/app_state.hpp"

namespace tproc::compose {

void SupervisorLoop::save_state() {
  dirty_ = false;
  AppState state;
  state.name = spec_.name;
  state.space = app_.space();
  state.compose_file = spec_.compose_file;
  state.supervisor = ::getpid();
  for (const auto& unit : units_) {
    ServiceState service;
    service.name = unit->name();
    service.restarts = unit->restarts;
    service.replicas = unit->spec.service.replicas;
    service.last_exit = unit->last_exit;
    service.reason = unit->phase == Phase::blocked ? unit->reason : unit->ready_failed ? unit->ready_failure : "";
    const bool running = std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.running; });
    const bool restarting = std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.restart_at.has_value(); });
    switch (unit->phase) {
      case Phase::waiting: service.state = "waiting"; break;
      case Phase::blocked: service.state = "blocked"; break;
      case Phase::stopped: service.state = "stopped"; break;
      case Phase::active:
        if (running) service.state = unit->retiring ? "stopping" : unit->spec.endpoints.empty() ? "running" : unit->ready ? "ready" : "starting";
        else if (restarting) service.state = "restarting";
        else if (unit->retiring) service.state = "stopped";
        else service.state = unit->failed() ? "failed" : "completed";
        break;
    }
    for (const Replica& replica : unit->replicas)
      if (replica.ever_started) service.tprocs.push_back(TprocState{replica.id, replica.name, replica.running});
    state.services.push_back(std::move(service));
  }
  if (auto saved = state.save(app_.state()); !saved) std::fprintf(stderr, "save state: %s\n", saved.error().describe().c_str());
}

}  // namespace tproc::compose
