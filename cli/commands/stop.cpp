// tproc stop: SIGTERM, a grace period, then SIGKILL — and wait until the program is gone.

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/grace_period.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc stop [OPTIONS] SPACE ID|NAME...\n\n"
    "Stop tprocs: SIGTERM to each at once, then SIGKILL to those still running after the grace period.\n"
    "A paused tproc (tproc pause) is thawed right after its SIGTERM, as docker stop does, so its handler\n"
    "runs at once. Prints each ID|NAME once it is stopped.\n\n"
    "Options:\n"
    "  -t, --time SECONDS  grace period before SIGKILL (default 10)\n";

/// Waits until the pidfd reports an exit, at most `timeout_ms`; true if it exited.
bool wait_exit(int pidfd, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd waiting{pidfd, POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

/// Thaws paused tproc `id`; nothing to do when it was thawed or ended meanwhile.
Result<void> thaw(const space::SpacePaths& paths, const std::string& space_name, uint64_t id) {
  protocol::PauseRequest request;
  request.targets = {std::to_string(id)};
  request.pause = false;
  auto reply = ask_space(paths, space_name, request);
  if (!reply) {
    // The daemon's refusals: "is not running" (ESRCH) or "is not paused" (EINVAL).
    if (reply.error().code() == ESRCH || reply.error().code() == EINVAL) return ok();
    return Error(reply.error()).context("stop: thaw tproc " + std::to_string(id));
  }
  TPROC_TRY(expect<protocol::Done>(*reply));
  return ok();
}

Result<int> stop(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"time", 't', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("stop", 2, SIZE_MAX, "SPACE and ID|NAME..."));
  const double grace = TPROC_TRY(grace_seconds(arguments));

  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& space_name = arguments.positional()[0];
  const std::span<const std::string> targets(arguments.positional().begin() + 1, arguments.positional().end());
  TPROC_TRY(expect_space_runs(paths, space_name));
  // Every target gets SIGTERM at once and one grace period runs for all of them, as docker stops
  // several containers side by side. A pidfd signals exactly this process, never a recycled pid,
  // and tells us when it is gone.
  std::vector<std::optional<protocol::Received>> stopping(targets.size());  // empty: failed
  int status = for_each_target(targets, [&](const std::string& target) -> Result<void> {
    protocol::Received reply = TPROC_TRY(ask_space(paths, space_name, protocol::OpenRequest{target}));
    protocol::Opened opened = TPROC_TRY(expect<protocol::Opened>(reply));
    if (!opened.tproc.running) reply.fds.clear();  // only a log: nothing to stop
    const bool signalled = !reply.fds.empty();
    if (signalled) ::syscall(SYS_pidfd_send_signal, reply.fds[0].get(), SIGTERM, nullptr, 0);
    stopping[static_cast<size_t>(&target - targets.data())] = std::move(reply);
    // A paused tproc is thawed after its SIGTERM, as docker stop does, so its handler runs now
    // rather than the grace period running out; a frozen task could not even die of the SIGKILL.
    if (signalled && opened.tproc.paused) TPROC_TRY(thaw(paths, space_name, opened.tproc.id));
    return ok();
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(grace * 1000));
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!stopping[i]) continue;
    if (!stopping[i]->fds.empty()) {
      const int pidfd = stopping[i]->fds[0].get();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!wait_exit(pidfd, static_cast<int>(std::max<int64_t>(0, left.count())))) {
        ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        wait_exit(pidfd, 10000);
      }
    }
    std::printf("%s\n", targets[i].c_str());
  }
  return status;
}

}  // namespace

const Command kStopCommand{"stop", "Stop a program in a space (SIGTERM, then SIGKILL)", kUsage, stop};

}  // namespace tproc::cli
