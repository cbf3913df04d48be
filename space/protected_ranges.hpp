#pragma once
// ProtectedRanges: what the space itself lives on, which no tproc may unmap, remap, move or
// re-protect through the calls the mapping server performs for it (issue 13 item 7).
//
// One tproc's munmap of [vdso] used to kill the space: the daemon and every sibling segfaulted at
// their next clock_gettime. The daemon therefore names, once at start, the ranges whose loss takes
// the space down -- the vDSO and vvar pages, its own executable and stack, the break guard, the
// registry, the space heap's reservation, the listener threads' stacks -- and the mapping server
// answers EPERM to any call that would touch them. These ranges never move while the daemon runs
// (nothing the filter sees can move them any more), so a list fixed at start stays true.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "runtime/mapping_filter.hpp"

namespace tproc::space {

/// Address ranges of the daemon that tprocs must leave alone, each with a name for messages.
class ProtectedRanges {
 public:
  struct Range {
    uint64_t begin = 0;
    uint64_t end = 0;
    std::string what;  ///< "[vdso]", "the registry", ...
    /// mprotect is also refused here: for the kernel's special mappings and the daemon's image.
    /// The filter sends the daemon only the mprotect calls that may overlap these, so ld.so's
    /// and malloc's many mprotect calls elsewhere stay in the kernel. (A tproc may re-protect the
    /// registry or the heap: they are the space's shared memory, which programs trust each other with.)
    bool mprotect_too = false;
  };

  /// The kernel's special mappings ([vdso], [vvar], [vvar_vclock], [stack]) and the daemon's own
  /// executable image, read from /proc/self/maps.
  static Result<ProtectedRanges> of_this_process();

  /// Adds [begin, end) under `what`.
  void add(uint64_t begin, uint64_t end, std::string what, bool mprotect_too = false);

  /// The first protected range that [begin, end) overlaps, if any. An empty or wrapping range
  /// ([begin, end) with end <= begin) is checked as reaching the top of the address space.
  const Range* overlapping(uint64_t begin, uint64_t end) const;

  /// The ranges with `mprotect_too`, those of one name merged into one span: what the mapping
  /// filter sends mprotect calls on to the daemon (runtime::add_mapping_filter).
  std::vector<runtime::GuardedRange> mprotect_guarded() const;

  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
};

/// Parses one line of /proc/PID/maps into its range and path (empty for anonymous mappings).
std::optional<ProtectedRanges::Range> parse_maps_line(const std::string& line, uint64_t* inode = nullptr);

}  // namespace tproc::space
