#pragma once
// What an interpreter needs beyond its ELF closure: its home, the standard library it reads at
// startup. Without it a bundle of python3 runs only where the host has the same /usr/lib/python3.X
// (python falls back to its compiled-in prefix), so it is not the bundle that runs. `runtime:
// python3` collects the home of the entrypoint's python3.X into the bundle, laid out as under its
// prefix (lib/python3.X/..., lib-dynload included), and the launch points PYTHONHOME at the
// bundle. Without the recipe, tproc build warns when the entrypoint is a python whose home is not
// in the bundle.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bundle/file_collector.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

/// An interpreter's home as found on the build machine.
struct RuntimeHome {
  std::string host_home;             ///< where it is read from (/usr/lib/python3.11)
  std::string bundle_home;           ///< where it goes in the bundle (lib/python3.11)
  std::vector<CollectedFile> files;  ///< its files, `path` already in the bundle (lib/python3.11/os.py)
};

/// The home of the python3.X at `interpreter` (a host path; links resolved to name the version):
/// PREFIX/lib/python3.X for PREFIX/bin/python3.X, without what only building C extensions needs
/// (config-3.X-*, 25 MiB on Debian), the host's own configuration (sitecustomize.py, a link into
/// /etc on Debian) and __pycache__ (a bundle's files lose their mtimes, so the .pyc would be stale).
/// Errors start with "runtime: python3: " and name the file.
Result<RuntimeHome> python_home(const std::string& interpreter);

/// When `interpreter` (a host path) is a python3.X whose home is not among `bundled` (paths in the
/// bundle), the warning that says so and what to do; nullopt otherwise.
std::optional<std::string> missing_home_warning(const std::string& interpreter, const std::set<std::string>& bundled);

/// The environment a launch of a `runtime: python3` bundle whose root is `root` gets: PYTHONHOME,
/// and PYTHONDONTWRITEBYTECODE so that python never writes .pyc files into the bundle cache.
std::vector<std::string> python_environment(const std::string& root);

}  // namespace tproc::bundle
