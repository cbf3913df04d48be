// tproc down: stop an app started by `tproc up` — its services in reverse dependency order, each
// with its stop signal, then SIGKILL after its grace period — and forget it.

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"
#include "compose/app_state.hpp"
#include "compose/compose_manifest.hpp"
#include "compose/supervisor_link.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc down [OPTIONS] [SPACE]\n\n"
    "Stop the app running in SPACE (default: the space of the compose file): every service in\n"
    "reverse dependency order, each with its stop_signal, then SIGKILL after its stop_grace_period.\n\n"
    "Options:\n"
    "  -f, --file FILE  the compose file that names the space (default: ./app.yaml)\n";

/// Without a supervisor (it died), stop what the state file says runs: SIGTERM, 10 s, SIGKILL,
/// last started service first.
Result<int> stop_orphans(const space::SpacePaths& paths, const compose::AppPaths& app, const compose::AppState& state) {
  std::fprintf(stderr, "tproc down: the supervisor of '%s' is not running: stopping the tprocs it recorded\n", state.name.c_str());
  for (auto service = state.services.rbegin(); service != state.services.rend(); ++service)
    for (const compose::TprocState& tproc : service->tprocs) {
      if (!tproc.running) continue;
      auto reply = ask_space(paths, state.space, protocol::OpenRequest{std::to_string(tproc.id)});
      if (!reply || reply->fds.empty()) continue;
      auto opened = expect<protocol::Opened>(*reply);
      if (!opened || !opened->tproc.running || opened->tproc.name != tproc.name) continue;
      const int pidfd = reply->fds[0].get();
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0);
      pollfd waiting{pidfd, POLLIN, 0};
      if (::poll(&waiting, 1, 10000) == 0) ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      std::fprintf(stderr, "tproc down: %s: stopped\n", tproc.name.c_str());
    }
  ::unlink(app.state().c_str());
  ::unlink(app.spec().c_str());
  return 0;
}

Result<int> down(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"file", 'f', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (arguments.positional().size() > 1) return Error::explained("down takes at most one SPACE (see 'tproc down --help')", EINVAL);
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
    return stop_orphans(paths, app, *state);
  }
  TPROC_TRY(link->send({"down"}));
  std::optional<int> status;
  for (;;) {
    auto record = TPROC_TRY(link->receive());
    if (!record) break;  // the supervisor closes its end as it exits
    if ((*record)[0] == "say" && record->size() >= 2) std::fprintf(stderr, "tproc down: %s\n", (*record)[1].c_str());
    if ((*record)[0] == "down") status = record->size() >= 2 ? std::atoi((*record)[1].c_str()) : 1;
  }
  if (!status) return Error::explained("the supervisor of space '" + space + "' went away before the app was down (see " + app.supervisor_log() + ")", ECONNRESET);
  return *status;
}

}  // namespace

const Command kDownCommand{"down", bundle_tool_summary("down"), kUsage, down};

}  // namespace tproc::cli
