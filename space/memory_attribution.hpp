#pragma once
// MemoryAttribution: how much of the space's resident memory each owner holds.
//
// One mm hosts every tproc, so the kernel's per-process counters (/proc/PID/status VmRSS) show
// the whole space for each. The daemon knows who owns which range (the loader's mappings, the
// address ledger); the kernel knows what is resident in each VMA (/proc/self/smaps Rss). A VMA
// that lies inside one owner's range counts whole; one that several owners share (the kernel
// merges adjacent anonymous mappings of the same protection) is split page by page with
// /proc/self/pagemap's present bit. Every VMA is counted once: what no claim covers is the
// daemon's, so the parts add up to the space's RSS as the same reading of smaps saw it.

#include <cstdint>
#include <map>
#include <vector>

#include "common/result.hpp"

namespace tproc::space {

/// Who a claimed range belongs to: a tproc id, or one of the space's own parts.
inline constexpr uint64_t kRegistryOwner = UINT64_MAX - 1;
inline constexpr uint64_t kHeapOwner = UINT64_MAX - 2;
/// What no claim covers: the daemon's own memory.
inline constexpr uint64_t kDaemonOwner = 0;

/// [begin, end) belongs to `owner`.
struct MemoryClaim {
  uint64_t begin;
  uint64_t end;
  uint64_t owner;
};

/// What one owner holds.
struct OwnedMemory {
  uint64_t rss = 0;     ///< resident bytes
  uint64_t mapped = 0;  ///< bytes mapped (its claims' parts that are mapped at all)
};

/// Resident and mapped bytes per owner, and the total.
struct MemoryReport {
  std::map<uint64_t, OwnedMemory> owners;  ///< kDaemonOwner included
  uint64_t rss = 0;                        ///< the sum over every VMA
};

/// Reads this process's smaps (and pagemap where a VMA is shared) and attributes every resident
/// page to the claim covering it, or to kDaemonOwner. Claims must not overlap.
Result<MemoryReport> attribute_memory(std::vector<MemoryClaim> claims);

/// This process's resident bytes (/proc/self/statm), cheap enough for `space ls`.
uint64_t resident_bytes();

}  // namespace tproc::space
