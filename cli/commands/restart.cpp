// tproc restart: stop tprocs as tproc stop does and start each again as it was started, with its
// id, name and log (docker restart). The daemon does both (space/operations/restart.cpp).

#include <cstdio>
#include <cstdlib>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/grace_period.hpp"
#include "cli/space_client.hpp"
#include "compose/app_paths.hpp"
#include "compose/app_state.hpp"
#include "space/space_name.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc restart [OPTIONS] SPACE ID|NAME...\n\n"
    "Restart detached tprocs (run -d), as docker restart does: each is stopped as tproc stop stops it\n"
    "(SIGTERM to all at once, SIGKILL to those still running after the grace period; a paused one is\n"
    "thawed right after its SIGTERM), then started again from the very request it was started with:\n"
    "the same program file, arguments, environment, working directory, name, labels, limits, bundle\n"
    "and isolation. It keeps its id and name and gets a new pid; its output goes on in the same log,\n"
    "so tproc logs shows the runs one after another, and tproc inspect counts its restarts. One that\n"
    "has exited is simply started again. A tproc run attached, or a service of an app (tproc up: use\n"
    "tproc compose restart), cannot be restarted; every ID|NAME is checked before any is touched.\n"
    "Prints each ID|NAME once it runs again.\n\n"
    "Options:\n"
    "  -t, --time SECONDS  grace period before SIGKILL (default 10)\n";

/// A target that names a service's tproc of the app in `space` (tproc up): its supervisor starts
/// it again, so it is refused here with the verb that does it.
Result<void> refuse_services(const space::SpacePaths& paths, const std::string& space, std::span<const std::string> targets) {
  auto app = compose::AppState::load(compose::AppPaths(paths.runtime_dir(), paths.home(), space).state());
  if (!app) return ok();  // no app in the space: the daemon refuses any service's tproc all the same
  for (const std::string& target : targets)
    for (const compose::ServiceState& service : app->services)
      for (const compose::TprocState& tproc : service.tprocs)
        if (tproc.name == target || std::to_string(tproc.id) == target)
          return Error::explained("tproc " + std::to_string(tproc.id) + " (" + tproc.name + ") is service " + service.name +
                                      " of app " + app->name + ": use tproc compose restart " + service.name,
                                  EINVAL);
  return ok();
}

Result<int> restart(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"time", 't', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("restart", 2, SIZE_MAX, "SPACE and ID|NAME..."));
  const double grace = TPROC_TRY(grace_seconds(arguments));

  const std::string& space_name = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(space_name));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::RestartRequest request;
  request.targets.assign(arguments.positional().begin() + 1, arguments.positional().end());
  request.grace_ms = static_cast<uint64_t>(grace * 1000);
  TPROC_TRY(expect_space_runs(paths, space_name));
  TPROC_TRY(refuse_services(paths, space_name, request.targets));
  protocol::Received reply = TPROC_TRY(ask_space(paths, space_name, request));
  protocol::Restarted restarted = TPROC_TRY(expect<protocol::Restarted>(reply));
  if (restarted.outcomes.size() != request.targets.size())
    return Error("restart: the space daemon answered for " + std::to_string(restarted.outcomes.size()) + " of " +
                     std::to_string(request.targets.size()) + " tprocs",
                 EPROTO);
  // As stop: each target once it runs again; one that could not be started again is its error
  // line (it stays exited), and the exit status is 1.
  int status = 0;
  for (size_t i = 0; i < request.targets.size(); ++i) {
    const protocol::RestartOutcome& outcome = restarted.outcomes[i];
    if (outcome.message.empty()) {
      std::printf("%s\n", request.targets[i].c_str());
      continue;
    }
    std::fflush(stdout);
    print_error(Error::explained(outcome.message, outcome.code));
    status = 1;
  }
  return status;
}

}  // namespace

const Command kRestartCommand{"restart", "Restart detached programs of a space (stop, then start again)", kUsage, restart};

}  // namespace tproc::cli
