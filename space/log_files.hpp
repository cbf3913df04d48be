#pragma once
// LogFiles: how a detached tproc's output is kept, in the space's log dir (format 2).
//
//   ID.log     its stdout, the bytes as written (format 1 was this file alone, with both streams)
//   ID.stderr  its stderr, the bytes as written
//   ID.index   when the two grew: one line per sample, "UNIX_NS o|e END\n": at UNIX_NS the daemon
//              saw stdout (o) or stderr (e) END bytes long
//
// The program writes the first two itself, as it wrote its one log before: no relay, so its output
// is kept as it always was when the daemon is slow, stopped or killed (tests/e2e/faults_test.cpp).
// The daemon samples their sizes whenever inotify says one changed (space/log_sampler.hpp), so a
// byte's time is when the daemon saw it, which podman's conmon also stamps; bytes past the last
// sample (written after the daemon died) get the file's modification time.
// The order of stdout and stderr lines written within one sample is not kept: each is in order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tproc::space {

/// The two streams a detached tproc's log keeps apart.
enum class LogStream : uint8_t { out = 0, err = 1 };

/// The paths of tproc `id`'s log files in `log_dir`.
struct LogFiles {
  std::string out;    ///< ID.log
  std::string err;    ///< ID.stderr
  std::string index;  ///< ID.index

  static LogFiles in(const std::string& log_dir, uint64_t id);
  /// Whether `name` is one of a tproc's log files ("12.log", "12.stderr", "12.index"): its id.
  static std::optional<uint64_t> id_of(std::string_view name);
};

/// One line of an index file.
struct LogSample {
  int64_t unix_ns = 0;
  LogStream stream = LogStream::out;
  uint64_t end = 0;

  /// "UNIX_NS o|e END\n".
  std::string text() const;
  /// A line of an index file without its newline; nothing when it is not one.
  static std::optional<LogSample> parse(std::string_view line);
};

}  // namespace tproc::space
