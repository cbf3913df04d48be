#pragma once
// HeapRegion: the address range a space's heap lives in (registry/space_heap.hpp).
//
// The daemon reserves it once per space, before the first tproc starts, and Registry::format()
// announces it in the registry header. Private anonymous memory with MAP_NORESERVE: pages cost
// nothing until a tproc touches them, and a tproc's fork() child gets a copy-on-write snapshot
// rather than the live heap (libtproc detaches in such a child anyway). The daemon keeps the
// mapping for the space's lifetime: blocks outlive the tprocs that allocated them.

#include <cstddef>
#include <cstdint>

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::registry {

/// The default reservation: the most the heap can address (64 GiB of address space, not memory).
inline constexpr uint64_t kDefaultHeapBytes = uint64_t{1} << 36;

/// The reserved heap range of a space.
class HeapRegion {
 public:
  /// Reserves up to `size` bytes; halves the request while the kernel refuses it (strict
  /// overcommit, RLIMIT_AS) down to 256 MiB.
  static Result<HeapRegion> reserve(uint64_t size = kDefaultHeapBytes);

  uint64_t address() const { return mapping_.begin(); }
  uint64_t size() const { return mapping_.size(); }
  void* get() const { return mapping_.get(); }

 private:
  explicit HeapRegion(Mapping mapping) : mapping_(std::move(mapping)) {}
  Mapping mapping_;
};

}  // namespace tproc::registry
