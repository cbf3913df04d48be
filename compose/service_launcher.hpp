#pragma once
// Starting a service's tprocs through the space daemon, as `tproc run -d SPACE app.bundle` would:
// the bundle is unpacked once into the cache, its libraries resolved before anything starts, and
// the daemon holds the bundle's in-use lock for the tproc's life. The supervisor keeps the pidfd
// the daemon hands back, to learn of the exit and to signal exactly that process.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "compose/app_spec.hpp"
#include "protocol/connection.hpp"
#include "space/space_paths.hpp"

namespace tproc::compose {

/// A tproc the daemon started.
struct LaunchedTproc {
  uint64_t id = 0;
  pid_t pid = 0;
  UniqueFd pidfd;
};

/// What every service's environment starts from (`tproc up` captures it): PATH, HOME, USER, LANG,
/// LC_ALL, TZ and TERM of the caller, not its whole environment, so an app does not change with
/// the shell that ran `up`.
std::vector<std::string> base_environment();

/// Starts one replica of `spec` detached in `space`, named `tproc_name`. `app_directory` (the compose
/// file's) is the working directory when neither the service nor its bundle names one.
Result<LaunchedTproc> launch_service(const space::SpacePaths& paths, const std::string& space, const ServiceSpec& spec,
                                     const std::string& tproc_name, const std::vector<std::string>& base_env,
                                     const std::string& app_directory);

/// Sends `request` with `fds` to the daemon of `space` and returns the Started reply and its pidfd,
/// keeping the connection open in `connection` (an attached run reports the exit on it).
struct StartedTproc {
  LaunchedTproc tproc;
  std::optional<protocol::Connection> connection;
};
Result<StartedTproc> start_in_space(const space::SpacePaths& paths, const std::string& space,
                                    const protocol::RunRequest& request, const std::vector<int>& fds);

/// How a tproc ended, shell-style (128+N: signal N), once the daemon has reaped it: asked right
/// after its pidfd turns readable, so it retries briefly until the daemon has seen the exit too.
Result<int> exit_status_of(const space::SpacePaths& paths, const std::string& space, uint64_t id);

}  // namespace tproc::compose
