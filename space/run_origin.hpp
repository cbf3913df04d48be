#pragma once
// RunOrigin: what the daemon keeps of a detached tproc's start so `tproc restart` can start it
// again as it was first started (issue 16): the RunRequest as it came, and the files it named by
// descriptor — the program, the executable ld.so maps, and its bundle's in-use lock.
//
// The program is kept open, so a restart runs the very file the first run did even when its path
// now names another (as a restarted container keeps its image). The bundle's lock (bundle/
// bundle_cache.hpp) is held only while the tproc runs, as before restart existed, so `tproc
// prune` still removes the bundle of an exited tproc; what is kept is the lock file itself,
// opened again without the lock, and restarting an exited tproc takes the shared lock again —
// refused while the bundle is being removed, or once it was (its lock file unlinked).
//
// Descriptors a run inherited beyond stdio are not kept: only an attached run has them (a
// detached one's stdio is its log), and an attached tproc is not restarted.

#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "protocol/messages.hpp"

namespace tproc::space {

/// A detached tproc's RunRequest and the files it came with.
class RunOrigin {
 public:
  /// Keeps `request` and copies of the descriptors it came with (`fds`, in RunRequest's order);
  /// `lock`: the in-use lock it holds (RunRequest::holds_lock), of which only the file is kept.
  static Result<std::unique_ptr<RunOrigin>> keep(const protocol::RunRequest& request, const std::vector<UniqueFd>& fds,
                                                 const UniqueFd& lock);

  const protocol::RunRequest& request() const { return request_; }

  /// The descriptors to start it again with, in RunRequest's order. `held`: the in-use lock still
  /// held from the run that just ended; without it (the tproc had exited before), the lock is
  /// taken again. `who` names the tproc in errors ("tproc 3 (web)").
  Result<std::vector<UniqueFd>> descriptors(UniqueFd held, const std::string& who) const;

 private:
  RunOrigin() = default;

  protocol::RunRequest request_;
  UniqueFd program_;
  UniqueFd executable_;  ///< when request_.passes_executable
  UniqueFd lock_file_;   ///< when request_.holds_lock: the lock's file, not locked by this descriptor
};

}  // namespace tproc::space
