#pragma once
// LogSampler: the daemon's side of a detached tproc's log (space/log_files.hpp): it creates the
// files and notes in the index when stdout or stderr grew.

#include <array>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "space/log_files.hpp"

namespace tproc::space {

/// Samples the sizes of one tproc's stdout and stderr logs into its index.
class LogSampler {
 public:
  /// Creates the three files (truncated, mode 0600, never through a symlink); `writers` gets the
  /// descriptors the program writes its stdout and stderr to (O_APPEND). With `append` (a
  /// restarted tproc's next run) files already there are continued instead, so the index's sizes
  /// go on from the earlier runs' and `tproc logs` shows the runs one after another.
  static Result<LogSampler> create(const LogFiles& files, std::array<UniqueFd, 2>& writers, bool append = false);

  /// Appends an index line for each stream that grew since the last sample, stamped now.
  void sample();

 private:
  LogSampler() = default;
  std::array<UniqueFd, 2> streams_;  ///< copies of the writers, to fstat
  std::array<uint64_t, 2> sizes_{};
  UniqueFd index_;
};

}  // namespace tproc::space
