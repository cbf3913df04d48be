#pragma once
// How `tproc run` stands in for its program: which signals it relays and how, what it tells the
// daemon about signals its caller ignores, and the exit status it gives when tproc itself fails.
// Shared by the full CLI (cli/run_session.cpp) and the front door (cli/front/quick_run.cpp), so
// it needs nothing but libc: the front door is built without the C++ standard library.

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc::cli {

/// The signals a user sends to `tproc run` that are meant for the program.
inline constexpr int kForwardedSignals[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                                            SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM};

/// kForwardedSignals as a set, for sigprocmask and signalfd.
inline sigset_t forwarded_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : kForwardedSignals) sigaddset(&set, signal);
  return set;
}

/// Bit N-1 set for each signal N (1-31) this process ignores: a direct run would inherit them.
inline uint64_t ignored_signal_mask() {
  uint64_t ignored = 0;
  for (int signal = 1; signal < 32; ++signal) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) ignored |= uint64_t{1} << (signal - 1);
  }
  return ignored;
}

/// Relays every signal queued on `signals` (a non-blocking signalfd of kForwardedSignals) to the
/// program behind `pidfd`.
inline void relay_signals(int signals, int pidfd) {
  const auto send = [pidfd](int signal) { ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0); };
  signalfd_siginfo info{};
  while (::read(signals, &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGTSTP) {
      // The program sits in the daemon's orphaned process group, where SIGTSTP would be
      // discarded: stop it for real, then stop ourselves like any job; SIGCONT resumes both.
      send(SIGSTOP);
      ::kill(::getpid(), SIGSTOP);
      continue;
    }
    send(static_cast<int>(info.ssi_signo));
  }
}

/// A pidfd for the daemon at the other end of `socket` (its SO_PEERCRED pid), or none. The
/// connection alone cannot tell that the daemon died: on Linux before 6.5 the daemon's io_uring
/// rings are mapped from the ring's fd into the space, so the ring, and the sockets it polls, stay
/// open for as long as any tproc keeps the space's memory alive.
inline UniqueFd daemon_pidfd(int socket) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0 || peer.pid <= 0) return UniqueFd();
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, peer.pid, 0)));
}

/// Exit statuses as a shell and docker/podman report them, for an error with errno `code`:
/// 127 not found, 126 cannot execute, 125 the runtime itself failed.
inline int exit_status_for(int code) {
  switch (code) {
    case ENOENT: return 127;
    case ENOEXEC: case EACCES: case EISDIR: case ELIBBAD: case ENOTDIR: return 126;
    default: return 125;
  }
}

}  // namespace tproc::cli
