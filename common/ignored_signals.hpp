#pragma once
// Which signals this process ignores, all 64 of them: an exec keeps SIG_IGN dispositions, so a
// direct run inherits them from its caller, and a clone3 with CLONE_CLEAR_SIGHAND keeps them too
// (it resets handlers only). libc only: the front door uses it.

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tproc {

/// The kernel's struct sigaction on x86_64 and aarch64: handler, flags, restorer, mask.
struct KernelSigaction {
  uint64_t handler, flags, restorer, mask;
};

/// Bit N-1 set for each signal N (1-64) whose disposition here is SIG_IGN. Asked of the kernel
/// directly: glibc's and musl's sigaction refuse the signals they reserve (32-34), which a caller
/// may still ignore and a program then inherits.
inline uint64_t ignored_signal_mask() {
  KernelSigaction current{};
  uint64_t ignored = 0;
  for (int signal = 1; signal <= 64; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    if (::syscall(SYS_rt_sigaction, signal, nullptr, &current, sizeof(uint64_t)) == 0 &&
        current.handler == reinterpret_cast<uint64_t>(SIG_IGN))
      ignored |= uint64_t{1} << (signal - 1);
  }
  return ignored;
}

/// Sets every signal this process ignores back to SIG_DFL (all 64, for the reason above).
inline void stop_ignoring_signals() {
  const uint64_t ignored = ignored_signal_mask();
  const KernelSigaction default_action{};  // SIG_DFL is 0
  for (int signal = 1; signal <= 64; ++signal)
    if ((ignored >> (signal - 1)) & 1) ::syscall(SYS_rt_sigaction, signal, &default_action, nullptr, sizeof(uint64_t));
}

}  // namespace tproc
