#pragma once
// LogReader: the lines of a detached tproc's log (space/log_files.hpp), each with its stream and
// time, read in bounded batches so that a log of any size streams through constant memory.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "space/log_files.hpp"

namespace tproc::cli {

/// One line of a log, or a piece of a very long one.
struct LogLine {
  space::LogStream stream = space::LogStream::out;
  int64_t unix_ns = 0;  ///< when the daemon saw it (space/log_files.hpp)
  std::string text;     ///< with its newline; a piece (kMaxLinePiece) or an unfinished last line has none
};

/// A line longer than this is given in pieces of this size.
inline constexpr size_t kMaxLinePiece = 64 * 1024;

/// Reads one tproc's log from where the last call stopped.
class LogReader {
 public:
  /// The files an Opened reply passes: stdout, stderr, index.
  LogReader(UniqueFd out, UniqueFd err, UniqueFd index);

  /// The next lines, in time order, from at most about `budget` bytes of output: empty once
  /// everything written so far was given. With `final` (the tproc has exited), a last line without
  /// a newline is given too; otherwise it waits for the rest of its line.
  Result<std::vector<LogLine>> next(bool final, size_t budget = 1 << 20);

 private:
  /// The lines from at most `budget` bytes, which it lowers by what it read.
  Result<std::vector<LogLine>> next_batch(bool final, size_t& budget);
  /// Bytes [consumed, end) of `stream`, stamped `unix_ns`, into `lines`, as far as `budget` goes.
  Result<void> take(space::LogStream stream, uint64_t end, int64_t unix_ns, size_t& budget, std::vector<LogLine>& lines);
  Result<void> read_index();

  std::array<UniqueFd, 2> streams_;
  UniqueFd index_;
  std::string index_partial_;
  std::vector<space::LogSample> samples_;  ///< read from the index, not yet taken
  size_t next_sample_ = 0;
  std::array<uint64_t, 2> consumed_{};
  std::array<std::string, 2> partial_;
  int64_t latest_ns_ = 0;  ///< the latest time given: bytes no sample covers are never stamped earlier
};

}  // namespace tproc::cli
