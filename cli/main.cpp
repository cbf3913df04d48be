// tproc: the command-line interface. Dispatches to one Command per verb and is the one place
// that prints errors for humans.

#include <cstdio>
#include <cstring>
#include <span>

#include "cli/command.hpp"

namespace {

using tproc::cli::Command;

const Command* const kCommands[] = {
    &tproc::cli::kRunCommand,   &tproc::cli::kPsCommand,      &tproc::cli::kStopCommand,  &tproc::cli::kKillCommand,
    &tproc::cli::kLogsCommand,  &tproc::cli::kBuildCommand,   &tproc::cli::kInspectCommand,
    &tproc::cli::kImagesCommand, &tproc::cli::kPruneCommand,  &tproc::cli::kRegistryCommand, &tproc::cli::kSpaceCommand,
    &tproc::cli::kDaemonCommand,
};

void print_help() {
  std::printf(
      "Usage: tproc COMMAND [OPTIONS] [ARGS...]\n\n"
      "Run many programs in one shared address space.\n\nCommands:\n");
  for (const Command* command : kCommands)
    if (command->summary[0]) std::printf("  %-8s %s\n", command->name, command->summary);
  std::printf(
      "\nEnvironment:\n"
      "  TPROC_RUNTIME_DIR  daemon sockets (default /run/tproc for root, else $XDG_RUNTIME_DIR/tproc)\n"
      "  TPROC_HOME         logs and state (default /var/lib/tproc for root, else ~/.local/share/tproc)\n"
      "\nRun 'tproc COMMAND --help' for more on a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  for (const Command* command : kCommands) {
    if (std::strcmp(argv[1], command->name) != 0) continue;
    auto status = command->run(std::span<char* const>(argv + 2, static_cast<size_t>(argc - 2)));
    if (status) return *status;
    std::fprintf(stderr, "tproc: %s\n", status.error().describe().c_str());
    return command->exit_code_for ? command->exit_code_for(status.error()) : 1;
  }
  std::fprintf(stderr, "tproc: unknown command '%s' (see 'tproc --help')\n", argv[1]);
  return 2;
}
