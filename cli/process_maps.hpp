#pragma once
// The lines of /proc/PID/maps, and the parts of them a set of owned ranges covers: a space has
// one address space, so the kernel's maps show every tproc's mappings together, and only the
// daemon's ledger (protocol::OwnedRanges) says whose each part is.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"

namespace tproc::cli {

/// One line of /proc/PID/maps.
struct MapsEntry {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string perms;   ///< "r-xp"
  uint64_t offset = 0; ///< into the file, at `begin`
  std::string device;  ///< "fd:01"
  uint64_t inode = 0;
  std::string path;    ///< a file, "[heap]", "[anon:NAME]", or empty (anonymous)
};

/// Reads /proc/`pid`/maps.
Result<std::vector<MapsEntry>> read_maps(pid_t pid);

/// The parts of `entries` that `owned` covers, each cut to the owned range (the offset moved with
/// it), in address order. A part of an owned range that no entry covers is left out (unmapped
/// since, or reserved PROT_NONE by the kernel's word only).
std::vector<MapsEntry> owned_parts(const std::vector<MapsEntry>& entries, const std::vector<protocol::OwnedRange>& owned);

/// `entry` as the kernel prints it in /proc/PID/maps.
std::string maps_line(const MapsEntry& entry);

}  // namespace tproc::cli
