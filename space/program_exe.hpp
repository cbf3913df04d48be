#pragma once
// ProgramExe: a tproc's own executable, told to it where the kernel would name the daemon.
//
// /proc/PID/exe belongs to the mm, and every tproc shares the daemon's: without help a program
// that locates itself (javac, clang, glib's program name) finds the daemon, and one that re-runs
// itself through /proc/self/exe (busybox, clang -cc1) runs the daemon. PR_SET_MM_EXE_FILE cannot
// help: it sets the one mm's exe for every tproc at once. So the mapping filter also notifies
// readlink, readlinkat and execve (runtime/mapping_filter.hpp), and the mapping server hands
// them here, outside its lock:
// - readlink(at) of /proc/self/exe, /proc/thread-self/exe or /proc/<the caller's pid>/exe is
//   answered with the program's path (truncated to the buffer, unterminated, as the kernel does);
// - execve of one of those paths has its path rewritten in the caller's memory, for the one call,
//   to /dev/fd/N (or /proc/self/fd/N when it fits), N being the program's file added to the
//   caller close-on-exec; the original bytes are put back once the exec has gone through or failed.
// Only callers whose /proc/PID/exe is the daemon's get this: a tproc, its threads, its vfork'd or
// forked children. A program exec'd from a tproc has its own exe and its calls continue untouched,
// as does every other readlink and execve.

#include <linux/seccomp.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// Which file a process runs: what a stat of its /proc/PID/exe gives.
struct ExeIdentity {
  dev_t device = 0;
  ino_t inode = 0;

  /// The daemon's own, read once: it never execs, and a tproc cannot give the shared mm another
  /// exe while the daemon's file is still mapped (the kernel refuses with EBUSY).
  static Result<ExeIdentity> of_self();
};

/// One tproc's executable: its path and the open file.
class ProgramExe {
 public:
  /// The program open at `file` (the path the kernel would show for it, and a copy of the fd);
  /// `daemon` is what every tproc's /proc/PID/exe shows until it execs.
  static Result<std::shared_ptr<const ProgramExe>> open(const UniqueFd& file, ExeIdentity daemon);

  /// Whether system call `number` is one this answers.
  static bool handles(int number);

  /// Answers `request`, received on filter `listener` of the tproc whose pid is `tproc`, and
  /// sends the response.
  void answer(int listener, pid_t tproc, const seccomp_notif& request, seccomp_notif_resp& response) const;

  const std::string& path() const { return path_; }

 private:
  ProgramExe() = default;
  /// readlink(at): true if answered (response filled), false to let the call continue.
  bool answer_readlink(int listener, const seccomp_notif& request, uint64_t path, uint64_t buffer, uint64_t size,
                       seccomp_notif_resp& response) const;
  /// execve: rewrites the path for the call, lets it continue, then puts the path back.
  void continue_exec(int listener, pid_t tproc, const seccomp_notif& request, seccomp_notif_resp& response) const;

  std::string path_;
  UniqueFd file_;
  ExeIdentity daemon_;
};

}  // namespace tproc::space
