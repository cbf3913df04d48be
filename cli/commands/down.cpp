// tproc down: stop an app started by `tproc up` — its services in reverse dependency order, each
// with its stop signal, then SIGKILL after its grace period — and forget it.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "cli/app_orphans.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "compose/app_state.hpp"
#include "compose/compose_manifest.hpp"
#include "compose/supervisor_link.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc down [OPTIONS] [SPACE]\n\n"
    "Stop the app running in SPACE (default: the space of the compose file): every service in\n"
    "reverse dependency order, each with its stop_signal, then SIGKILL after its stop_grace_period.\n"
    "Exits 0 once everything has stopped, whether services had failed or had to be killed.\n\n"
    "Options:\n"
    "  -f, --file FILE  the compose file that names the space (default: ./app.yaml)\n";

Result<int> down(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"file", 'f', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("down", 0, 1, "at most one SPACE"));
  std::string space;
  if (!arguments.positional().empty()) {
    space = arguments.positional()[0];
    if (!compose::valid_space_name(space)) return Error::explained("invalid space name '" + space + "'", EINVAL);
  } else {
    const std::string file = arguments.value("file", "app.yaml");
    struct stat st {};
    if (!arguments.has("file") && ::stat(file.c_str(), &st) < 0)
      return Error::explained("down needs SPACE, or a compose file (./app.yaml or -f FILE) that names it", EINVAL);
    space = TPROC_TRY(compose::ComposeManifest::load(file)).space();
  }

  const space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const compose::AppPaths app(paths.runtime_dir(), paths.home(), space);
  auto link = compose::SupervisorLink::connect(app);
  if (!link) {
    auto state = compose::AppState::load(app.state());
    if (!state) return Error::explained("no app runs in space '" + space + "' (nothing started by 'tproc up')", ESRCH);
    stop_orphaned_app(paths, app, *state, "tproc down");
    return 0;
  }
  TPROC_TRY(link->send({"down"}));
  bool stopped = false;
  for (;;) {
    auto record = TPROC_TRY(link->receive());
    if (!record) break;  // the supervisor closes its end as it exits
    if ((*record)[0] == "say" && record->size() >= 2) std::fprintf(stderr, "tproc down: %s\n", (*record)[1].c_str());
    // Its status says whether a service had failed (what an attached `up` exits with); `down`
    // succeeded once everything stopped, as docker compose down does, however the services ended.
    if ((*record)[0] == "down") stopped = true;
  }
  if (!stopped) return Error::explained("the supervisor of space '" + space + "' went away before the app was down (see " + app.supervisor_log() + ")", ECONNRESET);
  return 0;
}

}  // namespace

const Command kDownCommand{"down", bundle_tool_summary("down"), kUsage, down};

}  // namespace tproc::cli
