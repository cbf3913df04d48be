#pragma once
// Where an app's files live: its spec, state, built bundles and supervisor log under
// $TPROC_HOME/compose/SPACE/, and its supervisor's control socket under
// $TPROC_RUNTIME_DIR/compose/ (a subdirectory, so `tproc space ls` never takes it for a space).

#include <string>

#include "common/result.hpp"

namespace tproc::compose {

/// The paths of the app of one space (one app per space).
class AppPaths {
 public:
  AppPaths(std::string runtime_dir, std::string home, std::string space)
      : runtime_dir_(std::move(runtime_dir)), home_(std::move(home)), space_(std::move(space)) {}

  const std::string& space() const { return space_; }
  std::string directory() const { return home_ + "/compose/" + space_; }
  /// What the app should be (written by `tproc up`, read by the supervisor).
  std::string spec() const { return directory() + "/app.spec"; }
  /// What the app is (written by the supervisor, read by `tproc ps`).
  std::string state() const { return directory() + "/state"; }
  /// Bundles `tproc up` built from directories.
  std::string bundles() const { return directory() + "/bundles"; }
  std::string supervisor_log() const { return directory() + "/supervisor.log"; }
  /// Held (flock) by the running supervisor.
  std::string lock() const { return directory() + "/supervisor.lock"; }
  std::string socket_directory() const { return runtime_dir_ + "/compose"; }
  std::string socket() const { return socket_directory() + "/" + space_ + ".sock"; }

  /// Creates the app's directories (0700).
  Result<void> prepare() const;

 private:
  std::string runtime_dir_;
  std::string home_;
  std::string space_;
};

}  // namespace tproc::compose
