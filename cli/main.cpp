// tproc: the command-line interface. Dispatches to one Command per verb; the verbs that work with
// bundles run in the bundle tool (cli/bundle_tool.hpp).

#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tproc_version.h>

#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "common/nearest_word.hpp"
#include "common/printable.hpp"

namespace {

using tproc::cli::Command;

const Command* const kCommands[] = {
    &tproc::cli::kRunCommand,  &tproc::cli::kPsCommand,       &tproc::cli::kStopCommand,  &tproc::cli::kRestartCommand,
    &tproc::cli::kKillCommand,
    &tproc::cli::kLogsCommand, &tproc::cli::kRegistryCommand, &tproc::cli::kSpaceCommand, &tproc::cli::kDaemonCommand,
    &tproc::cli::kVersionCommand, &tproc::cli::kInfoCommand,
    &tproc::cli::kRmCommand,      &tproc::cli::kWaitCommand,
    &tproc::cli::kStatsCommand, &tproc::cli::kTopCommand, &tproc::cli::kPauseCommand, &tproc::cli::kUnpauseCommand,
    &tproc::cli::kMapsCommand, &tproc::cli::kDebugCommand, &tproc::cli::kWhichCommand,
};

void print_help() {
  std::printf(
      "Usage: tproc COMMAND [OPTIONS] [ARGS...]\n\n"
      "Run many programs in one shared address space.\n\nCommands:\n");
  for (const Command* command : kCommands)
    if (command->summary[0]) std::printf("  %-8s %s\n", command->name, command->summary);
  for (const tproc::cli::BundleToolVerb& verb : tproc::cli::kBundleToolVerbs)
    std::printf("  %-8s %s\n", verb.name, verb.summary);
  std::printf(
      "\nEnvironment:\n"
      "  TPROC_RUNTIME_DIR  daemon sockets (default /run/tproc for root, else $XDG_RUNTIME_DIR/tproc)\n"
      "  TPROC_HOME         logs and state (default /var/lib/tproc for root, else ~/.local/share/tproc)\n"
      "\nRun 'tproc COMMAND --help' for more on a command; 'tproc --version' for the version.\n");
}

/// " (did you mean 'build'?)" for a command a typo away from a real one ("biuld"), else "".
std::string did_you_mean(const char* typed) {
  std::vector<std::string_view> names;
  for (const Command* command : kCommands)
    if (command->summary[0]) names.push_back(command->name);
  for (const tproc::cli::BundleToolVerb& verb : tproc::cli::kBundleToolVerbs) names.push_back(verb.name);
  const std::optional<std::string_view> nearest = tproc::nearest_word(typed, names);
  return nearest ? " (did you mean '" + std::string(*nearest) + "'?)" : "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::fputs(TPROC_VERSION_LINE, stdout);
    return 0;
  }
  const std::span<char* const> args(argv + 2, static_cast<size_t>(argc - 2));
  for (const Command* command : kCommands)
    if (std::strcmp(argv[1], command->name) == 0) return tproc::cli::run_command(*command, args);
  for (const tproc::cli::BundleToolVerb& verb : tproc::cli::kBundleToolVerbs) {
    if (std::strcmp(argv[1], verb.name) != 0) continue;
    auto failed = tproc::cli::exec_bundle_tool(verb.name, args);
    std::fprintf(stderr, "tproc: %s\n", tproc::terminal_text(failed.error().describe(), false).c_str());
    return 125;
  }
  std::fprintf(stderr, "tproc: unknown command '%s'%s; see 'tproc --help'\n", argv[1], did_you_mean(argv[1]).c_str());
  return 2;
}
