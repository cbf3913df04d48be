#pragma once
// TerminalRelay: how a program in a space gets a terminal of its own when `tproc run` has one.
//
// A tproc is the daemon's child, in the daemon's session: the kernel lets no process join another
// session, and TIOCSCTTY on the caller's terminal would steal it from the caller's shell. So, as
// docker and ssh do, `tproc run` opens a pty, hands its slave to the program in place of each of
// fds 0-2 that is the caller's terminal (the program makes it its controlling terminal: /dev/tty,
// tcgetpgrp and its own job control work), and relays bytes between the caller's terminal and the
// pty's master. The caller's terminal goes raw but keeps ISIG, so Ctrl-C, Ctrl-\ and Ctrl-Z still
// signal `tproc run`, the job its shell knows, which passes them on: the interrupt and quit
// characters are written to the pty (its line discipline signals the program's foreground group,
// or hands the byte to a program that turned ISIG off), and Ctrl-Z stops that group for real (it
// is orphaned, where the kernel discards SIGTSTP), then `tproc run` itself; SIGCONT resumes both.
// Window size changes are copied to the pty, whose kernel side sends SIGWINCH.

#include <termios.h>

#include <optional>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::cli {

class TerminalRelay {
 public:
  /// A relay if any of fds 0-2 is a terminal, else none.
  static Result<std::optional<TerminalRelay>> open_if_terminal();
  TerminalRelay(TerminalRelay&&) noexcept;
  TerminalRelay& operator=(TerminalRelay&&) = delete;
  /// Gives the caller's terminal its settings back.
  ~TerminalRelay();

  /// Whether the program's fd `number` (0-2) gets the pty's slave instead of ours.
  bool replaces(int number) const { return (replaced_ >> number) & 1; }
  /// The pty's slave, to send in place of those fds; the lowest of them becomes the program's
  /// controlling terminal.
  int slave() const { return slave_.get(); }
  int controlling_fd() const;
  /// Closes our copy of the slave once the program has its own: the master then reads EOF (EIO)
  /// when the program and its children have closed theirs.
  void close_slave() { slave_.reset(); }

  /// Puts the caller's terminal in raw mode, ISIG kept, and copies its window size to the pty.
  void enter_raw();
  /// Gives the caller's terminal its own settings back (idempotent).
  void restore();

  /// The descriptors to poll: the caller's terminal input (or -1) and the pty's master.
  int input() const { return input_; }
  int master() const { return master_.get(); }
  /// Copies what is waiting on the caller's terminal to the pty.
  void pump_input();
  /// Copies what the program wrote to the caller's terminal; false at the pty's end.
  bool pump_output();
  /// Copies what the program wrote and is still buffered, once it has ended.
  void drain();

  /// Handles a signal meant for the program, when it has a terminal; false if it is not one
  /// the relay handles (the caller then sends it through the pidfd). `pidfd` is the program's.
  bool relay_signal(int signal, int pidfd);

 private:
  TerminalRelay(UniqueFd master, UniqueFd slave, int terminal, unsigned replaced, const termios& saved);
  void copy_window_size();
  /// The process group in the foreground of the pty (the program's, or a job of its shell).
  int foreground_group(int pidfd) const;

  UniqueFd master_;
  UniqueFd slave_;
  int terminal_;     ///< our fd that is the caller's terminal (settings, size)
  int input_;        ///< 0 if fd 0 is the terminal, else -1
  int output_;       ///< where the program's terminal output goes: fd 1 or 2
  unsigned replaced_;
  termios saved_;
  bool raw_ = false;
};

}  // namespace tproc::cli
