#pragma once
// `tproc run`, the part shared by its two front halves: the lean `tproc` (executables) and the
// bundle tool (bundles, cli/bundle_tool.hpp). Each works out what to start — a PreparedRun — and
// hands it here: send it to the space, then stand in for the program until it ends.

#include <span>
#include <string>
#include <vector>

#include <optional>

#include "cli/run_user.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "protocol/messages.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

extern const char* const kRunUsage;

/// `tproc run [OPTIONS] SPACE TARGET [ARGS...]`, parsed.
struct RunInvocation {
  std::string space;
  std::string target;
  std::vector<std::string> args;  ///< after TARGET: the program's own
  bool detach = false;
  std::string name;               ///< --name, or empty
  std::vector<std::string> env;   ///< KEY=VALUE from --env-file, then -e, in order
  std::string cwd;                ///< --cwd, or empty
  bool auto_remove = false;       ///< --rm
  bool new_space = false;         ///< --new-space: start SPACE even if its name is near an existing one's
  bool quiet = false;             ///< -q: no pull or unpack progress
  std::vector<std::string> labels;  ///< --label, as KEY=VALUE
  std::string rootfs;             ///< --rootfs, absolute, or empty
  std::string hostname;           ///< --hostname, or empty
  std::string network;            ///< --net: "" (host), "none", "ns:PATH"
  bool private_pids = false;      ///< --pid private
  std::optional<RunUserChoice> user;  ///< -u USER[:GROUP], resolved
  protocol::ContainerSetup container;  ///< tproc-oci's container settings; none for tproc run
  bool wants_help = false;

  /// Whether any isolation option was given.
  bool isolated() const { return !rootfs.empty() || !hostname.empty() || !network.empty() || private_pids; }

  static Result<RunInvocation> parse(std::span<char* const> args);
};

/// What the target contributes: the request's program, argv, name, limits, endpoints; the open
/// executable the daemon loads and, when ld.so maps the real program, that file too; fds the
/// daemon must hold while the program runs.
struct PreparedRun {
  protocol::RunRequest request;
  UniqueFd executable;
  UniqueFd executable_image;         ///< sent when request.passes_executable
  int held_lock_fd = -1;             ///< sent when request.holds_lock; owned by the caller
  std::vector<std::string> env;      ///< KEY=VALUE the target sets, before the user's -e
  std::string workdir;               ///< the target's default working directory, or empty
};

/// Opens an executable with the caller's permissions (the daemon gets the open file).
Result<UniqueFd> open_executable(const std::string& path);

/// Starts the prepared program in the invocation's space and returns its exit status the way a
/// shell reports it (128+N for signal N); with --detach, prints its id and returns 0.
Result<int> run_in_space(const space::SpacePaths& paths, const RunInvocation& invocation, PreparedRun prepared);

/// Exit statuses as a shell and docker/podman report them: 127 not found, 126 cannot execute,
/// 125 the runtime itself failed.
int run_exit_code(const Error& error);

}  // namespace tproc::cli
