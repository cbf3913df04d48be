// tproc-bundles: the bundle tool (cli/bundle_tool.hpp). `tproc` runs it for the verbs that need
// the bundle libraries, with the same arguments; it is not meant to be run by hand.

#include <cstdio>
#include <cstring>
#include <span>

#include "cli/command.hpp"

namespace {

using tproc::cli::Command;

const Command* const kCommands[] = {
    &tproc::cli::kBuildCommand, &tproc::cli::kInspectCommand, &tproc::cli::kImagesCommand,
    &tproc::cli::kPruneCommand, &tproc::cli::kRunBundleCommand, &tproc::cli::kPushCommand, &tproc::cli::kPullCommand,
    &tproc::cli::kLoginCommand, &tproc::cli::kLogoutCommand, &tproc::cli::kRmiCommand,
    &tproc::cli::kUpCommand,    &tproc::cli::kDownCommand,   &tproc::cli::kSuperviseCommand,
    &tproc::cli::kComposeCommand,
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2)
    for (const Command* command : kCommands)
      if (std::strcmp(argv[1], command->name) == 0)
        return tproc::cli::run_command(*command, std::span<char* const>(argv + 2, static_cast<size_t>(argc - 2)));
  std::fprintf(stderr, "tproc-bundles: run by 'tproc' for its bundle commands (see 'tproc --help')\n");
  return 2;
}
