// tproc rm: forget exited tprocs — record, status, log — as docker rm forgets containers.

#include <climits>
#include <cstdint>
#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc rm [OPTIONS] SPACE ID|NAME...\n\n"
    "Remove the records of exited tprocs: 'ps -a' no longer lists them, their logs are deleted and\n"
    "their names are free again. A running tproc is refused unless -f. Prints each ID|NAME removed.\n\n"
    "Options:\n"
    "  -f, --force  kill (SIGKILL) a running tproc first, and remove it once it is gone\n";

Result<int> rm(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"force", 'f', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("rm", 2, SIZE_MAX, "SPACE and ID|NAME..."));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& space_name = arguments.positional()[0];
  const std::span<const std::string> targets(arguments.positional().begin() + 1, arguments.positional().end());
  TPROC_TRY(expect_space_runs(paths, space_name));
  return for_each_target(targets, [&](const std::string& target) -> Result<void> {
    protocol::Received reply =
        TPROC_TRY(ask_space(paths, space_name, protocol::RemoveRequest{target, arguments.has("force")}));
    TPROC_TRY(expect<protocol::Done>(reply));
    std::printf("%s\n", target.c_str());
    return ok();
  });
}

}  // namespace

const Command kRmCommand{"rm", "Remove exited programs' records and logs (-f: running ones too)", kUsage, rm};

}  // namespace tproc::cli
