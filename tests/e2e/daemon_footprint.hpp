#pragma once
// What a space daemon holds at one moment -- descriptors, mappings, resident memory -- for tests
// that attack or load a space and then check it is back where it was. When it is not, the
// difference names the mappings that appeared or grew, so a failure says where the memory went.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace tproc::e2e {

/// One line of /proc/PID/smaps' headers with its resident size.
struct MappingUse {
  std::string header;  ///< "start-end perms offset dev inode [path]"
  long rss_kib = 0;
};

/// How far a footprint may exceed its baseline and still count as unchanged: what the allocator
/// keeps of a freed peak and a mapping or two it splits or merges.
struct FootprintTolerance {
  size_t mappings = 2;
  long rss_kib = 1024;
};

/// The daemon's descriptors, mappings and resident memory (VmRSS) at one moment.
struct DaemonFootprint {
  size_t fds = 0;
  long rss_kib = 0;
  std::vector<MappingUse> mappings;

  /// Read from /proc/PID/{fd,smaps,status}; throws if the process is gone.
  static DaemonFootprint of(pid_t daemon);

  /// No more descriptors than `baseline`, and mappings and memory within `tolerance` of it.
  bool within(const DaemonFootprint& baseline, FootprintTolerance tolerance = {}) const;

  /// "19 fds, 44 mappings, VmRSS 17804 KiB".
  std::string describe() const;

  /// The mappings that are new since `baseline` or hold 64 KiB more than they did, largest first.
  std::string changes_since(const DaemonFootprint& baseline) const;
};

}  // namespace tproc::e2e
