#pragma once
// The command table: every `tproc VERB` is one Command, implemented in cli/commands/<verb>.cpp.

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

// Defined in cli/commands/*.cpp: `tproc`'s own commands...
extern const Command kRunCommand;
extern const Command kPsCommand;
extern const Command kStopCommand;
extern const Command kKillCommand;
extern const Command kLogsCommand;
extern const Command kSpaceCommand;
extern const Command kDaemonCommand;
extern const Command kRegistryCommand;
extern const Command kVersionCommand;
extern const Command kInfoCommand;
// ...and the bundle tool's (cli/bundle_tool.hpp).
extern const Command kBuildCommand;
extern const Command kInspectCommand;
extern const Command kImagesCommand;
extern const Command kPruneCommand;
extern const Command kRunBundleCommand;
// ...and compose's, also in the bundle tool (they build and run bundles).
extern const Command kUpCommand;
extern const Command kDownCommand;
extern const Command kSuperviseCommand;

}  // namespace tproc::cli
