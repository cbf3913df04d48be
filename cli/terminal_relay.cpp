#include "cli/terminal_relay.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

namespace tproc::cli {
namespace {

/// Writes all of `bytes` to `fd`, waiting out a full terminal; gives up on an error.
void write_all(int fd, const char* bytes, size_t size) {
  while (size > 0) {
    const ssize_t put = ::write(fd, bytes, size);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0 && errno == EAGAIN) {
      pollfd ready{fd, POLLOUT, 0};
      ::poll(&ready, 1, -1);
      continue;
    }
    if (put <= 0) return;
    bytes += put;
    size -= static_cast<size_t>(put);
  }
}

}  // namespace

Result<std::optional<TerminalRelay>> TerminalRelay::open_if_terminal() {
  unsigned replaced = 0;
  int terminal = -1;
  dev_t device = 0;
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st {};
    if (!::isatty(fd) || ::fstat(fd, &st) < 0) continue;
    if (terminal < 0) {
      terminal = fd;
      device = st.st_rdev;
    } else if (st.st_rdev != device) {
      continue;  // another terminal: the program gets it as it is
    }
    replaced |= 1u << fd;
  }
  if (terminal < 0) return std::optional<TerminalRelay>{};
  termios saved{};
  if (::tcgetattr(terminal, &saved) < 0) return Error::from_errno("tcgetattr");
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::from_errno("open a pty");
  if (::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0) return Error::from_errno("unlock the pty");
  char name[64];
  if (::ptsname_r(master.get(), name, sizeof(name)) != 0) return Error::from_errno("ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return Error::from_errno(std::string("open ") + name);
  // The program's terminal starts as ours is: modes, special characters, size.
  if (::tcsetattr(slave.get(), TCSANOW, &saved) < 0) return Error::from_errno("tcsetattr");
  TerminalRelay relay(std::move(master), std::move(slave), terminal, replaced, saved);
  relay.copy_window_size();
  return std::optional<TerminalRelay>(std::move(relay));
}

TerminalRelay::TerminalRelay(UniqueFd master, UniqueFd slave, int terminal, unsigned replaced, const termios& saved)
    : master_(std::move(master)),
      slave_(std::move(slave)),
      terminal_(terminal),
      input_((replaced & 1) ? 0 : -1),
      output_((replaced & 2) ? 1 : 2),
      replaced_(replaced),
      saved_(saved) {
  ::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
}

TerminalRelay::TerminalRelay(TerminalRelay&& other) noexcept
    : master_(std::move(other.master_)),
      slave_(std::move(other.slave_)),
      terminal_(other.terminal_),
      input_(other.input_),
      output_(other.output_),
      replaced_(other.replaced_),
      saved_(other.saved_),
      raw_(std::exchange(other.raw_, false)) {}

TerminalRelay::~TerminalRelay() { restore(); }

int TerminalRelay::controlling_fd() const {
  for (int fd = 0; fd < 3; ++fd)
    if (replaces(fd)) return fd;
  return -1;
}

void TerminalRelay::enter_raw() {
  copy_window_size();
  // A job in the background leaves the terminal's modes alone (tcsetattr would stop it: SIGTTOU).
  if (::tcgetpgrp(terminal_) != ::getpgrp()) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  raw.c_lflag |= ISIG;  // Ctrl-C, Ctrl-\ and Ctrl-Z still signal us, the caller's job
  if (::tcsetattr(terminal_, TCSADRAIN, &raw) == 0) raw_ = true;
}

void TerminalRelay::restore() {
  if (!raw_) return;
  ::tcsetattr(terminal_, TCSADRAIN, &saved_);
  raw_ = false;
}

void TerminalRelay::copy_window_size() {
  winsize size{};
  if (::ioctl(terminal_, TIOCGWINSZ, &size) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &size);
}

void TerminalRelay::pump_input() {
  char buffer[4096];
  const ssize_t got = ::read(input_, buffer, sizeof(buffer));
  if (got > 0) write_all(master_.get(), buffer, static_cast<size_t>(got));
  if (got == 0) input_ = -1;  // nothing more will come (a hung-up terminal)
}

bool TerminalRelay::pump_output() {
  char buffer[16384];
  const ssize_t got = ::read(master_.get(), buffer, sizeof(buffer));
  if (got > 0) {
    write_all(output_, buffer, static_cast<size_t>(got));
    return true;
  }
  return got < 0 && (errno == EAGAIN || errno == EINTR);  // EIO: every slave is closed
}

void TerminalRelay::drain() {
  while (pump_output()) {
    pollfd more{master_.get(), POLLIN, 0};
    if (::poll(&more, 1, 0) <= 0) return;
  }
}

int TerminalRelay::foreground_group(int pidfd) const {
  const pid_t group = ::tcgetpgrp(master_.get());
  if (group > 0) return group;
  // No foreground group (the program has not become the session leader yet): the program alone.
  (void)pidfd;
  return 0;
}

bool TerminalRelay::relay_signal(int signal, int pidfd) {
  const auto to_group = [&](int sent) {
    const int group = foreground_group(pidfd);
    if (group > 0 && ::kill(-group, sent) == 0) return;
    ::syscall(SYS_pidfd_send_signal, pidfd, sent, nullptr, 0);
  };
  switch (signal) {
    case SIGINT:
    case SIGQUIT: {
      // The character the user typed, through the program's own line discipline.
      const char typed = static_cast<char>(saved_.c_cc[signal == SIGINT ? VINTR : VQUIT]);
      write_all(master_.get(), &typed, 1);
      return true;
    }
    case SIGWINCH:
      copy_window_size();  // the pty signals its foreground group itself
      return true;
    case SIGTSTP:
      // The program's group is orphaned (its parent, the daemon, is in another session), where
      // the kernel discards SIGTSTP: stop it for real, give the terminal back, stop like any job.
      to_group(SIGSTOP);
      restore();
      ::kill(::getpid(), SIGSTOP);
      // Resumed (fg or bg): take the terminal again if we are in its foreground, then the program.
      enter_raw();
      to_group(SIGCONT);
      return true;
    case SIGCONT:
      enter_raw();
      to_group(SIGCONT);
      return true;
    default:
      return false;
  }
}

}  // namespace tproc::cli
