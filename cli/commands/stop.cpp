// tproc stop: SIGTERM, a grace period, then SIGKILL — and wait until the program is gone.

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc stop [OPTIONS] SPACE ID|NAME\n\n"
    "Stop a tproc: SIGTERM, then SIGKILL if it still runs after the grace period.\n\n"
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

Result<int> stop(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"time", 't', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("stop", 2, 2, "SPACE and ID|NAME"));
  const std::string grace_text = arguments.value("time", "10");
  char* end = nullptr;
  const double grace = std::strtod(grace_text.c_str(), &end);
  if (grace_text.empty() || *end != '\0' || grace < 0) return Error::explained("invalid --time '" + grace_text + "'", EINVAL);

  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& target = arguments.positional()[1];
  protocol::Received reply = TPROC_TRY(ask_space(paths, arguments.positional()[0], protocol::OpenRequest{target}));
  protocol::Opened opened = TPROC_TRY(expect<protocol::Opened>(reply));
  if (opened.tproc.running && !reply.fds.empty()) {
    // The pidfd signals exactly this process, never a recycled pid, and tells us when it is gone.
    const int pidfd = reply.fds[0].get();
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0);
    if (!wait_exit(pidfd, static_cast<int>(grace * 1000))) {
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      wait_exit(pidfd, 10000);
    }
  }
  std::printf("%s\n", target.c_str());
  return 0;
}

}  // namespace

const Command kStopCommand{"stop", "Stop a program in a space (SIGTERM, then SIGKILL)", kUsage, stop};

}  // namespace tproc::cli
