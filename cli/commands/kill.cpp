// tproc kill: send a signal to a tproc.

#include <signal.h>

#include <climits>
#include <cstdint>
#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/signal_names.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc kill [OPTIONS] SPACE ID|NAME...\n\n"
    "Send a signal to tprocs (default SIGKILL). Prints each ID|NAME signalled.\n\n"
    "Options:\n"
    "  -s, --signal SIGNAL  the signal, by name (TERM, SIGTERM) or number\n";

Result<int> kill(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"signal", 's', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("kill", 2, SIZE_MAX, "SPACE and ID|NAME..."));
  const int signal = TPROC_TRY(parse_signal(arguments.value("signal", "KILL")));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& space_name = arguments.positional()[0];
  const std::span<const std::string> targets(arguments.positional().begin() + 1, arguments.positional().end());
  TPROC_TRY(expect_space_runs(paths, space_name));
  return for_each_target(targets, [&](const std::string& target) -> Result<void> {
    TPROC_TRY(ask_space(paths, space_name, protocol::SignalRequest{target, signal}));
    std::printf("%s\n", target.c_str());
    return ok();
  });
}

}  // namespace

const Command kKillCommand{"kill", "Send a signal to a program in a space", kUsage, kill};

}  // namespace tproc::cli
