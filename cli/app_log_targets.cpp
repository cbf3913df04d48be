#include "cli/app_log_targets.hpp"

#include <algorithm>

#include "cli/app_ps.hpp"
#include "cli/space_client.hpp"
#include "compose/app_paths.hpp"
#include "compose/app_state.hpp"

namespace tproc::cli {
namespace {

/// Service states from which the supervisor may still start a run (compose/app_state.hpp);
/// completed, failed, exited, stopped and blocked are final.
bool may_start_more(const std::string& state) {
  static constexpr std::string_view kLive[] = {"waiting", "starting", "running", "ready", "restarting", "stopping"};
  return std::find(std::begin(kLive), std::end(kLive), state) != std::end(kLive);
}

}  // namespace

Result<AppLogTargets> AppLogTargets::find(const space::SpacePaths& paths, const std::string& space,
                                          const std::optional<std::string>& target) {
  AppLogTargets targets(paths, space);
  auto app = compose::AppState::load(compose::AppPaths(paths.runtime_dir(), paths.home(), space).state());
  if (!app && (target || app.error().code() != ENOENT)) {
    if (!target) return std::move(app).error();
    targets.initial_.push_back({"", *target});
    return targets;
  }
  if (!app) {
    TPROC_TRY(expect_space_runs(paths, space));
    return Error::explained("space '" + space + "' runs no app started by 'tproc up': name a tproc ('tproc logs " + space +
                                " ID|NAME')",
                            ENOENT);
  }
  if (target) {
    const bool names_service = app->find(*target) != nullptr;
    for (const compose::ServiceState& service : app->services)
      for (const compose::TprocState& tproc : service.tprocs)
        if (!names_service && tproc.name == *target) {
          targets.service_ = service.name;
          targets.replica_ = *target;
        }
    if (names_service) targets.service_ = *target;
    if (!targets.service_) {
      targets.initial_.push_back({"", *target});  // a tproc of the space, not of the app
      return targets;
    }
    const compose::ServiceState* service = app->find(*targets.service_);
    // Several replicas get prefixes, also while only one of them has started.
    targets.prefixed_ = !targets.replica_ && std::max<size_t>(service->replicas, service->tprocs.size()) > 1;
  } else {
    targets.prefixed_ = true;
  }
  targets.of_app_ = true;
  for (const compose::ServiceState& service : app->services) {
    if (targets.prefixed_ && targets.follows(service.name, "")) {
      // The last replica's number; an older supervisor's state says only how many have started.
      const size_t last = std::max<size_t>({service.replicas, service.tprocs.size(), 1});
      targets.prefix_width_ = std::max(targets.prefix_width_, targets.prefix_of(service.name, last - 1).size());
    }
    for (size_t replica = 0; replica < service.tprocs.size(); ++replica) {
      if (!targets.follows(service.name, service.tprocs[replica].name)) continue;
      targets.latest_[{service.name, replica}] = service.tprocs[replica].id;
      targets.initial_.push_back({targets.prefix_of(service.name, replica), std::to_string(service.tprocs[replica].id)});
    }
  }
  // A service that has not started yet: its name, as before it had a tproc.
  if (target && targets.initial_.empty()) targets.initial_.push_back({"", service_target(paths, space, *target)});
  return targets;
}

bool AppLogTargets::follows(const std::string& service, const std::string& replica_name) const {
  if (service_ && service != *service_) return false;
  return !replica_ || replica_name == *replica_;
}

std::string AppLogTargets::prefix_of(const std::string& service, size_t index) const {
  return prefixed_ ? service + "-" + std::to_string(index + 1) : "";
}

std::vector<LogTarget> AppLogTargets::new_runs(bool& up) {
  up = false;
  std::vector<LogTarget> runs;
  if (!of_app_) return runs;
  // Gone: `tproc down` finished (the supervisor removes the file as it exits).
  auto app = compose::AppState::load(compose::AppPaths(paths_.runtime_dir(), paths_.home(), space_).state());
  if (!app) return runs;
  for (const compose::ServiceState& service : app->services) {
    if (service_ && service.name != *service_) continue;
    if (may_start_more(service.state)) up = true;
    for (size_t replica = 0; replica < service.tprocs.size(); ++replica) {
      const compose::TprocState& tproc = service.tprocs[replica];
      if (!follows(service.name, tproc.name)) continue;
      auto [latest, first] = latest_.try_emplace({service.name, replica}, tproc.id);
      if (!first && tproc.id <= latest->second) continue;  // printed already (the file may lag)
      latest->second = tproc.id;
      runs.push_back({prefix_of(service.name, replica), std::to_string(tproc.id)});
    }
  }
  // A supervisor killed leaves its services unwatched: nothing restarts them.
  if (!space::process_running(app->supervisor)) up = false;
  return runs;
}

}  // namespace tproc::cli
