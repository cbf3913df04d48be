// tproc logs: the output of a detached tproc, kept by its daemon.

#include <poll.h>
#include <unistd.h>

#include <cstdio>

#include "cli/app_ps.hpp"
#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc logs [OPTIONS] SPACE ID|NAME|SERVICE\n\n"
    "Print the output of a detached tproc, or of the latest tproc of a service started by 'tproc up'.\n\n"
    "Options:\n"
    "  -f, --follow  keep printing new output until the tproc exits\n";

/// Copies what the log holds now to stdout.
Result<void> drain(int log) {
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(log, buffer, sizeof(buffer));
    if (got == 0) return ok();
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read log");
    }
    for (ssize_t written = 0; written < got;) {
      ssize_t put = ::write(STDOUT_FILENO, buffer + written, static_cast<size_t>(got - written));
      if (put < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno("write");
      }
      written += put;
    }
  }
}

Result<int> logs(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"follow", 'f', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("logs", 2, 2, "SPACE and ID|NAME"));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& target = arguments.positional()[1];
  // A service of an app (`tproc up`) names its latest tproc, whatever its earlier runs left behind.
  const std::string asked = service_target(paths, arguments.positional()[0], target);
  protocol::Received reply = TPROC_TRY(ask_space(paths, arguments.positional()[0], protocol::OpenRequest{asked}));
  protocol::Opened opened = TPROC_TRY(expect<protocol::Opened>(reply));
  if (!opened.has_log)
    return Error("tproc " + std::to_string(opened.tproc.id) + " (" + opened.tproc.name +
                     ") was started attached: its output went to the terminal that ran it",
                 ENOENT);
  const bool running = opened.tproc.running && reply.fds.size() == 2;
  const int log = reply.fds.back().get();

  TPROC_TRY(drain(log));
  if (!arguments.has("follow") || !running) return 0;
  // Follow: a log file has no "more data" event, so wake on the pidfd's exit or every 100 ms.
  const int pidfd = reply.fds[0].get();
  for (;;) {
    pollfd waiting{pidfd, POLLIN, 0};
    const int exited = ::poll(&waiting, 1, 100);
    TPROC_TRY(drain(log));
    if (exited > 0) return 0;
  }
}

}  // namespace

const Command kLogsCommand{"logs", "Print the output of a detached program", kUsage, logs};

}  // namespace tproc::cli
