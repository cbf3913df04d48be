#pragma once
// PidsCgroups: how a daemon running as root enforces a manifest's `limits.processes` (issue 14
// item 13). RLIMIT_NPROC does not bind root (CAP_SYS_RESOURCE and CAP_SYS_ADMIN bypass it), so
// each such tproc gets a cgroup of the pids controller of its own, whose pids.max is the limit:
// fork and clone fail with EAGAIN at it, as they do at RLIMIT_NPROC, and everything the tproc
// starts (children, exec'd programs, threads: the controller counts tasks) stays inside.
//
// The tproc joins its cgroup itself, in its launch script, before its program runs: the daemon
// opens the cgroup's cgroup.procs and the child writes "0" (itself) into it, so there is no moment
// in which the program runs outside its limit.
//
// Where: cgroup v1's pids hierarchy (as on this machine: /sys/fs/cgroup/pids), under the daemon's
// own cgroup, in `tproc-SPACE-DAEMONPID/ID`. cgroup v2 would need a delegated subtree with
// `pids` in the parent's cgroup.subtree_control and the daemon outside it (the no-internal-
// processes rule); without a v1 pids hierarchy a root daemon refuses the limit with the reason.

#include <cstdint>
#include <set>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// The daemon's pids cgroups, one per limited tproc.
class PidsCgroups {
 public:
  /// Finds the pids hierarchy and makes the daemon's directory in it; ENOTSUP with the reason
  /// when there is none it can use.
  static Result<PidsCgroups> create(const std::string& space);
  PidsCgroups(PidsCgroups&& other) noexcept;
  PidsCgroups& operator=(PidsCgroups&&) = delete;
  ~PidsCgroups();

  /// Makes tproc `id`'s cgroup with pids.max = `limit` and returns its cgroup.procs, open for the
  /// child to write "0" into (runtime::LaunchScript).
  Result<UniqueFd> make(uint64_t id, uint64_t limit);

  /// Removes tproc `id`'s cgroup; one that a child of it still uses (killed with it, not yet
  /// released) is removed by a later call, once it is empty.
  void remove(uint64_t id);
  /// Tries again to remove the cgroups whose tprocs ended; true while some are still in use.
  bool retry();

  const std::string& directory() const { return directory_; }

 private:
  explicit PidsCgroups(std::string directory) : directory_(std::move(directory)) {}

  std::string directory_;      ///< the daemon's own: tproc-SPACE-PID
  std::set<uint64_t> cgroups_; ///< tprocs whose cgroup exists
  std::set<uint64_t> leaving_; ///< of those, the ones whose tproc has ended
};

}  // namespace tproc::space
