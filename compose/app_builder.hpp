#pragma once
// From a compose file to an AppSpec: what `tproc up` does before anything starts. A service's
// `bundle` names a bundle file, a directory holding a tproc.yaml, or a tproc.yaml-style manifest
// file (relative paths: to the compose file's directory); the last two are built into the app's
// bundles directory (the same inputs give the same bytes, so an unchanged service keeps its
// digest). Every bundle is then unpacked into the cache and its libraries resolved, so a service
// that cannot start fails `up` here, naming it, before any service starts.

#include <functional>
#include <string>

#include "common/result.hpp"
#include "compose/app_paths.hpp"
#include "compose/app_spec.hpp"
#include "compose/compose_manifest.hpp"

namespace tproc::compose {

/// Resolves every service of `manifest` (read from `compose_file`). `progress` gets a line per
/// build. `cache_root` is the bundle cache ($TPROC_HOME/bundles).
Result<AppSpec> resolve_app(const ComposeManifest& manifest, const std::string& compose_file, const AppPaths& paths,
                            const std::string& cache_root, const std::function<void(const std::string&)>& progress);

}  // namespace tproc::compose
