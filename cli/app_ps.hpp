#pragma once
// `tproc ps SPACE` for a space that runs an app started by `tproc up`: its services first — state,
// restarts, last exit and the latest tproc of each replica — then the space's other tprocs.

#include "common/result.hpp"
#include "compose/app_state.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

/// Prints the services of `app` and the tprocs of its space (exited ones too with `all`), as a
/// table or as JSON rows: tproc rows as plain `ps` prints them, plus `service`, `service_state`,
/// `restarts` and `last_exit`; a service without a tproc has a row whose id and pid are null.
Result<int> print_app_ps(const space::SpacePaths& paths, const compose::AppState& app, bool all, bool json);

/// `target` as `tproc logs SPACE TARGET` should ask the daemon for it: the id of the latest tproc
/// when it names a service (or a replica) of the app in `space` — whose earlier runs share its
/// name — else `target` itself.
std::string service_target(const space::SpacePaths& paths, const std::string& space, const std::string& target);

}  // namespace tproc::cli
