#pragma once
// The command table: every `tproc VERB` is one Command, implemented in cli/commands/<verb>.cpp.

#include <functional>
#include <span>
#include <string>

#include "common/result.hpp"

namespace tproc::cli {

/// One subcommand.
struct Command {
  const char* name;
  const char* summary;  ///< one line for `tproc --help`
  const char* usage;    ///< the text of `tproc NAME --help`
  /// Runs with the arguments after the command name; returns the process exit status.
  Result<int> (*run)(std::span<char* const> args);
  /// The exit status for an error this command returns (default 1).
  int (*exit_code_for)(const Error& error) = nullptr;
};

/// Runs `command` with `args` and returns the process exit status; errors are printed here, the
/// one place that prints them for humans.
int run_command(const Command& command, std::span<char* const> args);

/// Prints `error` as the one line "tproc: ...", escaped for the terminal.
void print_error(const Error& error);

/// For verbs that take several IDs (stop, kill, rm, wait), as docker does: `act` runs for each
/// target in turn; a failure is printed and the next target still gets its turn. Returns the exit
/// status: 0 when every target succeeded, else 1.
int for_each_target(std::span<const std::string> targets, const std::function<Result<void>(const std::string&)>& act);

// Defined in cli/commands/*.cpp: `tproc`'s own commands...
extern const Command kRunCommand;
extern const Command kPsCommand;
extern const Command kStopCommand;
extern const Command kRestartCommand;
extern const Command kKillCommand;
extern const Command kLogsCommand;
extern const Command kSpaceCommand;
extern const Command kDaemonCommand;
extern const Command kRegistryCommand;
extern const Command kVersionCommand;
extern const Command kInfoCommand;
extern const Command kRmCommand;
extern const Command kWaitCommand;
extern const Command kStatsCommand;
extern const Command kTopCommand;
extern const Command kPauseCommand;
extern const Command kUnpauseCommand;
extern const Command kMapsCommand;
extern const Command kDebugCommand;
extern const Command kWhichCommand;
// ...and the bundle tool's (cli/bundle_tool.hpp).
extern const Command kBuildCommand;
extern const Command kInspectCommand;
extern const Command kImagesCommand;
extern const Command kPruneCommand;
extern const Command kRunBundleCommand;
extern const Command kPushCommand;
extern const Command kPullCommand;
extern const Command kLoginCommand;
extern const Command kRmiCommand;
extern const Command kLogoutCommand;
// ...and compose's, also in the bundle tool (they build and run bundles).
extern const Command kUpCommand;
extern const Command kDownCommand;
extern const Command kComposeCommand;
extern const Command kSuperviseCommand;

}  // namespace tproc::cli
