#pragma once
// How `tproc run` stands in for its program: which signals it relays and how, what it tells the
// daemon about signals its caller ignores, and the exit status it gives when tproc itself fails.
// Shared by the full CLI (cli/run_session.cpp) and the front door (cli/front/quick_run.cpp), so
// it needs nothing but libc: the front door is built without the C++ standard library.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ignored_signals.hpp"
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

using tproc::ignored_signal_mask;

/// The process attributes a direct run's exec would hand the program, read from this process
/// (protocol::CallerAttributes says what each means).
struct CallerState {
  uint32_t umask = 022;
  int32_t nice = 0;
  uint64_t blocked_signals = 0;
  struct Limit {
    int32_t resource;
    uint64_t soft, hard;
  } limits[RLIM_NLIMITS];
  size_t limit_count = 0;

  /// Reads them; `mask` is the signal mask as the caller set it (before the stand-in blocked the
  /// signals it relays).
  void read(const sigset_t& mask) {
    const mode_t current = ::umask(0);
    ::umask(current);
    umask = current;
    errno = 0;
    const int priority = ::getpriority(PRIO_PROCESS, 0);
    nice = errno == 0 ? priority : 0;
    blocked_signals = 0;
    for (int signal = 1; signal <= 64; ++signal)
      if (sigismember(&mask, signal) == 1) blocked_signals |= uint64_t{1} << (signal - 1);
    limit_count = 0;
    for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
      rlimit limit{};
      if (::getrlimit(resource, &limit) < 0) continue;
      limits[limit_count++] = {resource, static_cast<uint64_t>(limit.rlim_cur), static_cast<uint64_t>(limit.rlim_max)};
    }
  }
};

/// Writes to `fds` (room for `capacity`) the numbers, ascending, of this process's descriptors
/// beyond stdio that an exec would keep: those without close-on-exec, which are the ones the
/// caller meant the program to have (`cat <(echo hi)`, `3<file`, `exec 5>log`). Returns how many
/// there are, which may exceed `capacity`, or -1 if /proc/self/fd cannot be read.
inline long inherited_fds(int* fds, size_t capacity) {
  DIR* directory = ::opendir("/proc/self/fd");
  if (!directory) return -1;
  const int own = ::dirfd(directory);
  size_t count = 0;
  while (const dirent* entry = ::readdir(directory)) {
    char* end = nullptr;
    const long number = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || number < 3 || number == own) continue;
    const int flags = ::fcntl(static_cast<int>(number), F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) continue;
    if (count < capacity) {
      size_t at = count;  // insertion keeps them ascending (the kernel lists them so anyway)
      while (at > 0 && fds[at - 1] > number) {
        fds[at] = fds[at - 1];
        --at;
      }
      fds[at] = static_cast<int>(number);
    }
    ++count;
  }
  ::closedir(directory);
  return static_cast<long>(count);
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

/// How the program ended: its exit status, or the signal that killed it.
struct ProgramEnd {
  bool killed = false;
  int value = 0;
};

/// Ends `tproc run` the way its program ended, so that a parent's waitpid sees what a direct run
/// would show (WIFSIGNALED with the same signal: Python's returncode -15, bash's "Terminated"),
/// as timeout(1) and env(1) do. A killed program's signal is re-raised on ourselves with our own
/// core dump off: the program's core, if any, is the program's; ours would only mislead. Returns
/// the shell-style status (128+N) only if the signal did not end us (one whose default action is
/// not to terminate, which cannot have killed the program anyway).
inline int end_like(ProgramEnd end) {
  if (!end.killed) return end.value;
  const int signal = end.value;
  fflush(nullptr);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  ::sigaction(signal, &fallback, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::kill(::getpid(), signal);  // pending until unblocked, then delivered before sigprocmask returns
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  return 128 + signal;
}

/// Waits until the daemon's answer to a run request can be read from `socket`, with the
/// forwarded signals blocked and queued on `signals` (a non-blocking signalfd of them). Until the
/// answer comes no program exists, so a signal that would end a direct run at this point -- Ctrl-C,
/// SIGTERM, SIGHUP... -- ends `tproc run` at once (end_like): it must never be deaf, not even to a
/// daemon that does not answer (stopped, or stuck). SIGTSTP stops it like any job; SIGWINCH and
/// SIGCONT have nothing to reach yet. If the daemon started the program meanwhile, it sees its
/// client gone and stops the program, as when `tproc run` is killed later.
inline void await_answer(int socket, int signals) {
  for (;;) {
    pollfd waiting[] = {{socket, POLLIN, 0}, {signals, POLLIN, 0}};
    if (::poll(waiting, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;  // the receive that follows reports what is wrong
    }
    if (waiting[0].revents) return;
    signalfd_siginfo info{};
    while (::read(signals, &info, sizeof(info)) == sizeof(info)) {
      const int signal = static_cast<int>(info.ssi_signo);
      if (signal == SIGTSTP) ::kill(::getpid(), SIGSTOP);
      else if (signal != SIGWINCH && signal != SIGCONT) end_like({true, signal});
    }
  }
}

/// What PIDFD_GET_INFO (Linux 6.13; exit status since 6.15) says about a pidfd's process; the
/// layout of the kernel's struct pidfd_info, which Debian 12's headers predate.
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
  uint32_t coredump_mask;
  uint32_t spare;
};
inline constexpr uint64_t kPidfdInfoPid = 1u << 0;
inline constexpr uint64_t kPidfdInfoExit = 1u << 3;
inline constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);

/// A wait status (as waitpid reports it) as a ProgramEnd.
inline ProgramEnd end_from_wait_status(int status) {
  if (WIFSIGNALED(status)) return {true, WTERMSIG(status)};
  return {false, WEXITSTATUS(status)};
}

/// The wait status of zombie `pid` from field 52 of /proc/PID/stat (exit_code, "in the form
/// reported by waitpid"), or -1 if it is not a zombie or cannot be read.
inline int zombie_wait_status(uint32_t pid) {
  char path[48];
  snprintf(path, sizeof(path), "/proc/%u/stat", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[1024];
  const ssize_t got = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  if (got <= 0) return -1;
  text[got] = '\0';
  const char* field = strrchr(text, ')');  // the name before it may hold spaces and parentheses
  if (!field || field[1] != ' ' || field[2] != 'Z') return -1;
  // Field 3 (the state) follows ") "; field 52 is 49 spaces further on.
  ++field;
  for (int number = 3; number < 52; ++number) {
    field = strchr(field + 1, ' ');
    if (!field) return -1;
  }
  return atoi(field + 1);
}

/// How the process behind `pidfd` ended, once the pidfd is readable, although it is not our
/// child: the daemon, its parent, is gone and the program was re-parented (to init, or a
/// subreaper). The kernel records the status once the new parent reaps it (PIDFD_INFO_EXIT); until
/// then the zombie's /proc/PID/stat holds it. The stat is read first and only trusted if the
/// pidfd still has no exit status afterwards: then the pid cannot have been reaped and reused
/// in between. False if neither says.
inline bool ended_program(int pidfd, ProgramEnd& end) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    PidfdInfo info{};
    info.mask = kPidfdInfoPid | kPidfdInfoExit;
    if (::ioctl(pidfd, kPidfdGetInfo, &info) < 0 && errno != ESRCH) return false;
    if (info.mask & kPidfdInfoExit) {
      end = end_from_wait_status(info.exit_code);
      return true;
    }
    if (info.mask & kPidfdInfoPid) {
      const int status = zombie_wait_status(info.pid);
      PidfdInfo again{};
      again.mask = kPidfdInfoExit;
      const bool reaped = ::ioctl(pidfd, kPidfdGetInfo, &again) == 0 && (again.mask & kPidfdInfoExit);
      if (reaped) {
        end = end_from_wait_status(again.exit_code);
        return true;
      }
      if (status >= 0) {
        end = end_from_wait_status(status);
        return true;
      }
    }
    ::usleep(5000);  // exited but not yet a zombie with its status, nor reaped: a moment
  }
  return false;
}

/// Stands in for a program whose daemon died: relays signals (the pidfd still reaches it) until
/// it ends, then says how. False if its status cannot be found.
inline bool wait_for_orphan(int signals, int pidfd, ProgramEnd& end) {
  for (;;) {
    pollfd waiting[] = {{signals, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (::poll(waiting, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (waiting[0].revents & POLLIN) relay_signals(signals, pidfd);
    if (waiting[1].revents) return ended_program(pidfd, end);
  }
}

/// Exit statuses as a shell and docker/podman report them, for an error with errno `code`:
/// 127 not found, 126 cannot execute, 125 the runtime itself failed.
inline int exit_status_for(int code) {
  switch (code) {
    case ENOENT: return 127;
    case ENOEXEC: case EACCES: case EISDIR: case ELIBBAD: case ENOTDIR: case ELOOP: case E2BIG: return 126;
    default: return 125;
  }
}

}  // namespace tproc::cli
