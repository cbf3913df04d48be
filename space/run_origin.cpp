#include "space/run_origin.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cstdio>

namespace tproc::space {
namespace {

Result<UniqueFd> copy(const UniqueFd& fd) {
  UniqueFd copied(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copied) return Error::from_errno("dup");
  return copied;
}

/// A new open file of the regular file open at `fd`, which shares no lock with it (flock locks
/// belong to an open file). Anything else a client sent as a lock is not opened: a FIFO would
/// block the daemon. Invalid when it cannot be opened: that run cannot be restarted once exited.
UniqueFd reopen_regular(const UniqueFd& fd) {
  struct stat status {};
  if (!fd || ::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) return UniqueFd();
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd.get());
  return UniqueFd(::open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
}

}  // namespace

Result<std::unique_ptr<RunOrigin>> RunOrigin::keep(const protocol::RunRequest& request, const std::vector<UniqueFd>& fds,
                                                   const UniqueFd& lock) {
  std::unique_ptr<RunOrigin> origin(new RunOrigin());
  origin->request_ = request;
  // A detached request's descriptors: [program], [in-use lock] (moved into the record by then),
  // [executable].
  origin->program_ = TPROC_TRY(copy(fds.at(0)));
  if (request.passes_executable) origin->executable_ = TPROC_TRY(copy(fds.at(1 + request.holds_lock)));
  if (request.holds_lock) origin->lock_file_ = reopen_regular(lock);
  return origin;
}

Result<std::vector<UniqueFd>> RunOrigin::descriptors(UniqueFd held, const std::string& who) const {
  std::vector<UniqueFd> fds;
  fds.push_back(TPROC_TRY(copy(program_)));
  if (request_.holds_lock) {
    if (!held) {
      const std::string bundle = request_.bundle_name.empty() ? request_.bundle : request_.bundle_name;
      held = reopen_regular(lock_file_);
      if (!held) return Error::explained(who + ": the in-use lock of its bundle " + bundle + " cannot be taken again", EBADF);
      if (::flock(held.get(), LOCK_SH | LOCK_NB) != 0)
        return Error::explained(who + ": its bundle " + bundle + " is being removed from the cache", errno);
      // The cache unlinks a bundle's lock file when it removes the bundle (tproc prune, rmi): a
      // lock on the unlinked file protects nothing.
      struct stat status {};
      if (::fstat(held.get(), &status) != 0 || status.st_nlink == 0)
        return Error::explained(who + ": its bundle " + bundle + " was removed from the cache since it exited " +
                                    "(tproc prune or rmi); run the bundle again with tproc run",
                                ENOENT);
    }
    fds.push_back(std::move(held));
  }
  if (request_.passes_executable) fds.push_back(TPROC_TRY(copy(executable_)));
  return fds;
}

}  // namespace tproc::space
