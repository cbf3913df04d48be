#pragma once
// Where a space's socket, lock, logs and state live (DESIGN.md: $TPROC_RUNTIME_DIR, $TPROC_HOME).

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/open_trusted.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// The two roots every path of tproc hangs from.
class SpacePaths {
 public:
  /// Reads $TPROC_RUNTIME_DIR and $TPROC_HOME, falling back to /run/tproc and /var/lib/tproc for
  /// root, else $XDG_RUNTIME_DIR/tproc (or /tmp/tproc-UID) and ~/.local/share/tproc.
  static Result<SpacePaths> from_environment();
  SpacePaths(std::string runtime_dir, std::string home) : runtime_dir_(std::move(runtime_dir)), home_(std::move(home)) {}

  const std::string& runtime_dir() const { return runtime_dir_; }
  const std::string& home() const { return home_; }
  std::string socket(const std::string& space) const { return runtime_dir_ + "/" + space + ".sock"; }
  std::string lock(const std::string& space) const { return runtime_dir_ + "/" + space + ".lock"; }
  std::string state_dir(const std::string& space) const { return home_ + "/spaces/" + space; }
  std::string log_dir(const std::string& space) const { return state_dir(space) + "/logs"; }
  std::string daemon_log(const std::string& space) const { return state_dir(space) + "/daemon.log"; }

  /// The runtime dir, checked as common/trusted_directory.hpp says (with `create`, made mode 0700
  /// where missing) before anything in it is used. ENOENT when it does not exist.
  Result<UniqueFd> open_runtime_dir(bool create) const;

  /// Creates the runtime dir (mode 0700 and ours: others must not reach the sockets) and the
  /// space's state dirs under a TPROC_HOME that others cannot write; returns the runtime dir.
  Result<UniqueFd> prepare(const std::string& space) const;

  /// The names of the spaces that have a socket in the runtime dir, sorted.
  std::vector<std::string> list_spaces() const;

 private:
  std::string runtime_dir_;
  std::string home_;
};

/// Who holds a space's lock, as the daemon writes it into the lock file.
struct LockHolders {
  pid_t daemon = 0;
  pid_t keeper = 0;  ///< the daemon's listener keeper (space/listener_keeper.hpp)
};

/// Reads the holders recorded in the open lock file `lock` (zeros where unknown).
LockHolders read_lock_holders(int lock);

/// Whether process `pid` exists and has not exited (a zombie has).
bool process_running(pid_t pid);

/// Checks a space name (space/space_name.hpp), with the rule in the error.
Result<void> validate_space_name(const std::string& name);


}  // namespace tproc::space
