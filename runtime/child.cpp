#include "runtime/child.hpp"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tproc::runtime {

std::string ExitStatus::describe() const {
  if (!killed) return "exited with status " + std::to_string(value);
  const char* name = sigabbrev_np(value);
  std::string text = "killed by " + (name ? "SIG" + std::string(name) : "signal " + std::to_string(value));
  return core_dumped ? text + " (core dumped)" : text;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = other.pid_;
    pidfd_ = std::move(other.pidfd_);
    status_ = std::move(other.status_);
  }
  return *this;
}

Child::~Child() { kill_and_reap(); }

void Child::kill_and_reap() {
  if (!pidfd_ || status_) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  while (::waitid(P_PIDFD, pidfd_.get(), &info, WEXITED) < 0 && errno == EINTR) {
  }
  status_ = ExitStatus{};
}

Result<std::optional<ExitStatus>> Child::try_reap() {
  if (status_) return status_;
  siginfo_t info{};
  if (::waitid(P_PIDFD, pidfd_.get(), &info, WEXITED | WNOHANG) < 0)
    return Error::from_errno("waitid pid " + std::to_string(pid_));
  if (info.si_pid == 0) return std::optional<ExitStatus>{};
  ExitStatus status;
  status.killed = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
  status.core_dumped = info.si_code == CLD_DUMPED;
  status.value = info.si_status;
  status_ = status;
  return status_;
}

Result<void> Child::send_signal(int signal) {
  if (status_) return Error("process " + std::to_string(pid_) + " has exited", ESRCH);
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) < 0)
    return Error::from_errno("signal pid " + std::to_string(pid_));
  return ok();
}

}  // namespace tproc::runtime
