#pragma once
// ChildProcess: a program the end-to-end tests start (a `tproc` client, or a test program run
// directly), with its stdout and stderr captured, an optional stdin, a deadline and RAII cleanup.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"

namespace tproc::e2e {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;

/// How long one `tproc` command may take before the harness kills it. Generous: a deadline that
/// fires is a hang, never a slow machine, and no test asserts how long anything took.
inline constexpr Duration kCommandTimeout = std::chrono::seconds(30);

/// How a finished process ended, as a shell reports it, and what it wrote.
struct Outcome {
  int status = -1;         ///< the exit code, or 128+N when killed by signal N (as `$?` shows)
  int signal = 0;          ///< N when the process itself was killed by signal N, else 0
  bool timed_out = false;  ///< the harness killed it at its deadline
  std::string out;         ///< everything it wrote to stdout
  std::string err;         ///< everything it wrote to stderr
};

/// Prints an Outcome for test failure messages.
std::ostream& operator<<(std::ostream& stream, const Outcome& outcome);

/// What to hand a new process besides its argv.
struct SpawnOptions {
  std::vector<std::string> extra_env;  ///< KEY=VALUE added to (or replacing in) the environment
  std::string cwd;                     ///< its working directory; empty: the sandbox's root
  std::optional<std::string> input;    ///< written to its stdin, which is then closed
  bool keep_stdin_open = false;        ///< stdin is a pipe the test writes to and closes
};

/// A started process. Killed with SIGKILL and reaped on destruction if it still runs. Move-only.
class ChildProcess {
 public:
  /// Starts argv[0] (a path) with exactly `env` as its environment, default signal dispositions,
  /// an empty signal mask and no descriptors but 0-2; stdin from /dev/null unless `options` says
  /// otherwise.
  /// Throws std::runtime_error when the process cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                            const SpawnOptions& options, const std::string& cwd);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  /// Its pid (still valid after it exits: it stays unreaped until wait()).
  pid_t pid() const { return pid_; }

  /// Sends `signal` unless it has already been reaped.
  void send_signal(int signal);

  /// Writes to its stdin (needs keep_stdin_open).
  void write_stdin(std::string_view bytes);

  /// Closes its stdin so it reads EOF.
  void close_stdin();

  /// Captures output until its stdout contains `needle`; false if it exits or time runs out first.
  bool wait_for_output(std::string_view needle, Duration timeout = std::chrono::seconds(10));

  /// Captures output until its stdout has a complete first line; returns that line (no newline),
  /// or nullopt if it exits or time runs out first.
  std::optional<std::string> first_line(Duration timeout = std::chrono::seconds(10));

  /// True once the process has exited (collects pending output, never blocks).
  bool exited();

  /// Stdout / stderr captured so far.
  const std::string& out() const { return out_text_; }
  const std::string& err() const { return err_text_; }

  /// Waits for it to exit, killing it at the deadline; idempotent.
  Outcome wait(Duration timeout = kCommandTimeout);

 private:
  ChildProcess() = default;

  /// Moves output and input until `done()` holds, the process exits or `deadline` passes.
  template <class Done>
  void pump(Clock::time_point deadline, Done done);
  void read_available(UniqueFd& fd, std::string& text);
  void reap(bool blocking);
  void kill_and_reap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  std::string pending_input_;
  bool close_stdin_when_written_ = false;
  std::string out_text_;
  std::string err_text_;
  std::optional<Outcome> outcome_;  ///< set once reaped
};

}  // namespace tproc::e2e
