#include "cli/app_orphans.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include "cli/space_client.hpp"
#include "compose/app_spec.hpp"

namespace tproc::cli {

void stop_orphaned_app(const space::SpacePaths& paths, const compose::AppPaths& app, const compose::AppState& state, const char* who) {
  std::fprintf(stderr, "%s: the supervisor of app '%s' is not running: stopping the tprocs it left\n", who, state.name.c_str());
  const auto spec = compose::AppSpec::load(app.spec());
  for (auto service = state.services.rbegin(); service != state.services.rend(); ++service) {
    int signal = SIGTERM;
    int grace_ms = 10000;
    if (const compose::ServiceSpec* defined = spec ? spec->find(service->name) : nullptr) {
      signal = defined->service.stop_signal;
      grace_ms = static_cast<int>(defined->service.stop_grace_period.count());
    }
    for (const compose::TprocState& tproc : service->tprocs) {
      if (!tproc.running) continue;
      auto reply = ask_space(paths, state.space, protocol::OpenRequest{std::to_string(tproc.id)});
      if (!reply || reply->fds.empty()) continue;
      auto opened = expect<protocol::Opened>(*reply);
      // The id must still name that tproc (a restarted daemon numbers from 1 again).
      if (!opened || !opened->tproc.running || opened->tproc.name != tproc.name) continue;
      const int pidfd = reply->fds[0].get();
      ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
      pollfd waiting{pidfd, POLLIN, 0};
      if (::poll(&waiting, 1, grace_ms) == 0) {
        ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        (void)::poll(&waiting, 1, 10000);
      }
      std::fprintf(stderr, "%s: %s: stopped\n", who, tproc.name.c_str());
    }
  }
  ::unlink(app.state().c_str());
  ::unlink(app.spec().c_str());
}

}  // namespace tproc::cli
