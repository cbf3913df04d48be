#pragma once
// ListenerKeeper: what keeps a space's tprocs alive when its daemon dies.
//
// Every tproc's mapping calls go to the daemon through its filter's listener; if the last copy of
// a listener closes, those calls fail (ENOSYS) and the tproc soon dies with it. So a small process
// forked from the daemon at start-up holds a copy of every listener (and the tproc's pidfd) while
// the daemon lives, watching only for the listeners' ends. If the daemon dies, the keeper answers
// each notification with "continue" (the call then runs in the tproc itself, untracked), so the
// orphaned tprocs keep running until they exit. It also keeps holding the space's lock, so no new
// daemon starts over them; `tproc space rm -f` asks it (SIGTERM) to kill the orphans and go.
//
// The keeper is forked before the daemon starts any thread, so its copy of the daemon's memory is
// consistent; it touches nothing but its own fds and raw system calls.

#include <sys/types.h>

#include <utility>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// The daemon's handle on its keeper process.
class ListenerKeeper {
 public:
  /// Forks the keeper. Of the daemon's descriptors it keeps only `lock_fd`, and so keeps holding
  /// the space's lock for as long as it lives.
  static Result<ListenerKeeper> start(int lock_fd);
  ListenerKeeper(ListenerKeeper&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), channel_(std::move(other.channel_)), pidfd_(std::move(other.pidfd_)) {}
  ListenerKeeper& operator=(ListenerKeeper&&) = delete;
  /// A clean shutdown: tells the keeper to go (it holds nothing the daemon still needs) and reaps it.
  ~ListenerKeeper();

  /// Hands the keeper a copy of a tproc's listener and pidfd.
  Result<void> keep(int listener, int pidfd);

  pid_t pid() const { return pid_; }

 private:
  ListenerKeeper(pid_t pid, UniqueFd channel, UniqueFd pidfd)
      : pid_(pid), channel_(std::move(channel)), pidfd_(std::move(pidfd)) {}

  pid_t pid_ = -1;
  UniqueFd channel_;
  UniqueFd pidfd_;
};

}  // namespace tproc::space
