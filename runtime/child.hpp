#pragma once
// Child: a tproc seen from the daemon — its pid and the pidfd that watches it.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::runtime {

/// How a process ended, as waitid reports it.
struct ExitStatus {
  bool killed = false;  ///< ended by a signal (then `value` is the signal number)
  int value = 0;        ///< exit code, or signal number when `killed`
  bool core_dumped = false;

  /// The status a shell reports: the exit code, or 128 + the signal number.
  int shell_status() const { return killed ? 128 + value : value; }
  /// "exited with status 3" / "killed by SIGSEGV".
  std::string describe() const;
};

/// A started child process of the daemon. Destroying a child that has not been reaped kills and
/// reaps it, so no code path can leak a zombie or a running tproc the daemon forgot.
class Child {
 public:
  Child(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  Child(Child&&) noexcept = default;
  Child& operator=(Child&&) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  /// Readable (POLLIN) once the process has exited.
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return status_.has_value(); }
  const std::optional<ExitStatus>& status() const { return status_; }

  /// Collects the exit status if the process has exited; nullopt while it still runs.
  Result<std::optional<ExitStatus>> try_reap();
  /// Sends `signal` through the pidfd (never reaches a recycled pid).
  Result<void> send_signal(int signal);

 private:
  void kill_and_reap();

  pid_t pid_;
  UniqueFd pidfd_;
  std::optional<ExitStatus> status_;
};

}  // namespace tproc::runtime
