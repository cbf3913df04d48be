#pragma once
// FreezerCgroups: how `tproc pause` stops every thread of a tproc, as `docker pause` does.
//
// A tproc is paused by moving it (its whole thread group, and the processes it forked) into a
// cgroup of the v1 freezer controller of its own and writing FROZEN to its freezer.state: the
// kernel parks every task in the refrigerator. No signal is sent, so the program sees no SIGSTOP
// or SIGCONT, and a sleep or read it was blocked in resumes when thawed without EINTR (the
// refrigerator is entered through a fake signal wake-up whose syscall is restarted). A job-control
// stop (SIGSTOP/SIGCONT) would show: a SIGCONT handler runs, a parent sees WIFSTOPPED.
//
// Where: the v1 freezer hierarchy (as on this machine: /sys/fs/cgroup/freezer), under the daemon's
// own cgroup, in `tproc-SPACE-DAEMONPID/ID`, made at the first pause (never for a space nobody
// pauses). Without one, pause fails with ENOTSUP and the reason. A frozen task cannot even die of
// SIGKILL under v1, so whoever kills a paused tproc thaws it after (Daemon: signal, shutdown).

#include <cstdint>
#include <set>
#include <string>
#include <sys/types.h>

#include "common/result.hpp"

namespace tproc::space {

/// The daemon's freezer cgroups, one per tproc ever paused.
class FreezerCgroups {
 public:
  /// Finds the freezer hierarchy and makes the daemon's directory in it; ENOTSUP with the reason
  /// when there is none it can use.
  static Result<FreezerCgroups> create(const std::string& space);
  FreezerCgroups(FreezerCgroups&& other) noexcept;
  FreezerCgroups& operator=(FreezerCgroups&&) = delete;
  ~FreezerCgroups();

  /// Moves tproc `id` (pid `pid`, with its threads and its descendants) into its cgroup and
  /// freezes it; returns once every task is frozen.
  Result<void> freeze(uint64_t id, pid_t pid);
  /// Thaws tproc `id`; nothing if it is not frozen.
  Result<void> thaw(uint64_t id);
  bool frozen(uint64_t id) const { return frozen_.count(id) > 0; }
  /// Thaws and forgets tproc `id`'s cgroup (it ended, or is being killed); removed once empty.
  void remove(uint64_t id);
  /// Thaws every cgroup (the daemon is going away: its tprocs must be able to die).
  void thaw_all();

 private:
  explicit FreezerCgroups(std::string directory) : directory_(std::move(directory)) {}
  std::string cgroup(uint64_t id) const { return directory_ + "/" + std::to_string(id); }

  std::string directory_;       ///< the daemon's own: tproc-SPACE-PID
  std::set<uint64_t> cgroups_;  ///< tprocs whose cgroup exists
  std::set<uint64_t> frozen_;   ///< of those, the ones frozen now
};

}  // namespace tproc::space
