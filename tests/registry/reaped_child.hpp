#pragma once
// ReapedChild: a child process a test started (fork, or clone with CLONE_VM), killed and reaped
// when the test ends early, so a failed REQUIRE never leaves it running.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>

namespace tproc::registry::testing {

class ReapedChild {
 public:
  explicit ReapedChild(pid_t pid) : pid_(pid) {}
  ReapedChild(const ReapedChild&) = delete;
  ReapedChild& operator=(const ReapedChild&) = delete;
  ~ReapedChild() { end(); }

  pid_t pid() const { return pid_; }

  /// Reaps the child: its wait status.
  int wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  /// Kills and reaps the child if it has not been reaped yet.
  void end() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
  }

 private:
  pid_t pid_;
};

}  // namespace tproc::registry::testing
