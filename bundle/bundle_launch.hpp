#pragma once
// Launching a bundle: what `tproc run SPACE app.bundle` starts, worked out before anything starts.
//
// The bundle's own interpreter (ld.so) is the program the daemon loads, invoked as
//   ld.so --library-path ROOT/lib [--inhibit-cache] --argv0 NAME ROOT/bin/app ARGS...
// so the search path reaches ld.so as an argument, never through the environment: a program the
// app execs (a host /bin/sh) sees no LD_LIBRARY_PATH pointing at the bundle's libc. dlopen by name
// searches the same path, so bundled plugins and NSS modules load. Every DT_NEEDED library is
// resolved against the bundle first (the host too only under `libraries: host`), so a missing one
// fails the run before anything starts, naming the whole chain.

#include <string>
#include <utility>
#include <vector>

#include "bundle/bundle_cache.hpp"
#include "bundle/manifest.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

/// Everything `tproc run` needs to start a bundle.
struct LaunchPlan {
  CachedBundle bundle;                ///< keeps the cache entry in use while it lives
  Manifest manifest;
  std::string program;                ///< the file the daemon loads (the bundle's ld.so, or a static executable)
  std::vector<std::string> argv;      ///< the program's argv, user arguments included
  std::vector<std::string> env;       ///< KEY=VALUE from the manifest (env, malloc policy), in order
  std::string workdir;                ///< empty: the caller's
  std::vector<std::pair<int, uint64_t>> limits;  ///< (RLIMIT_*, value) from the manifest
  bool core_dumps = false;
  std::string executable;             ///< the executable ld.so will map (ROOT/bin/app)
  /// The argv the app itself sees: its argv[0] (`executable`), then its arguments; `argv` without
  /// ld.so's own words.
  std::vector<std::string> app_argv;
};

/// The command line `ps` shows for the plan: the entrypoint's file name and the app's arguments
/// (`app ARGS...`), not ld.so's whole command line with the cache's paths.
std::string shown_command(const LaunchPlan& plan);

/// Unpacks (once) and checks the bundle at `bundle_path` and plans its launch; `user_args`, when
/// given, replace the manifest's default args. `progress`, if any, is told how the unpack goes.
Result<LaunchPlan> plan_launch(const BundleCache& cache, const std::string& bundle_path,
                               const std::vector<std::string>& user_args, Progress* progress = nullptr);

}  // namespace tproc::bundle
