#pragma once
// An app whose supervisor is gone (killed): its services may still run, unwatched. `tproc down`
// stops them; `tproc up` does too before it starts the app under a new supervisor.

#include "compose/app_paths.hpp"
#include "compose/app_state.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

/// Stops the tprocs the app's state file lists as running — last started service first, each with
/// its stop signal and grace period from the app's spec (SIGTERM and 10 s without one), then
/// SIGKILL — and forgets the app. Progress lines go to stderr after `who` ("tproc down").
void stop_orphaned_app(const space::SpacePaths& paths, const compose::AppPaths& app, const compose::AppState& state, const char* who);

}  // namespace tproc::cli
