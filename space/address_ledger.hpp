#pragma once
// AddressLedger: who made each range of the space's address space that tprocs mapped.
//
// Invariant: ranges are page-aligned, never overlap, and each has exactly one owner. Mapping over
// a range (MAP_FIXED) gives it to the new owner; unmapping removes it whoever owned it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace tproc::space {

/// Page-aligned [begin, end) ranges, each with an owner id.
class AddressLedger {
 public:
  using Range = std::pair<uint64_t, uint64_t>;

  /// Records [begin, end) as `owner`'s, taking it from whoever held parts of it.
  void assign(uint64_t begin, uint64_t end, uint64_t owner);
  /// Forgets [begin, end) (unmapped), splitting ranges that straddle its edges.
  void release(uint64_t begin, uint64_t end);
  /// Removes and returns every range `owner` holds, adjacent ones merged.
  std::vector<Range> take(uint64_t owner);

  /// The ranges `owner` holds, adjacent ones merged.
  std::vector<Range> ranges_of(uint64_t owner) const;
  /// Every range with its owner, in address order (adjacent ranges of one owner not merged).
  template <class F> void for_each(F&& visit) const {
    for (const auto& [begin, entry] : ranges_) visit(begin, entry.end, entry.owner);
  }
  /// Whether `owner` holds all of [begin, end) (in one range or in adjacent ones).
  bool holds(uint64_t begin, uint64_t end, uint64_t owner) const;
  /// The bytes `owner` holds.
  uint64_t bytes_of(uint64_t owner) const;
  size_t size() const { return ranges_.size(); }

 private:
  struct Entry {
    uint64_t end;
    uint64_t owner;
  };
  std::map<uint64_t, Entry> ranges_;  // by begin
  std::map<uint64_t, uint64_t> bytes_;  // by owner
};

}  // namespace tproc::space
