#pragma once
// RegistryRegion: the space-wide memory that holds the endpoint registry.
//
// The daemon maps it once per space, before the first tproc starts, and every tproc finds its
// address in the TPROC_AT_REGISTRY auxv entry. The region is only memory: Registry::format()
// (registry/registry.hpp) lays out the table in it (registry/registry_layout.hpp) and writes the
// header's magic last, so a region without the magic is not (yet) a registry.

#include <cstddef>
#include <cstdint>

#include "common/mapping.hpp"
#include "common/result.hpp"
#include "registry/registry_layout.hpp"

namespace tproc::registry {

/// The mapped registry region of a space.
class RegistryRegion {
 public:
  /// Maps `size` bytes of shared, zeroed memory.
  static Result<RegistryRegion> create(size_t size = 1 << 20);

  uint64_t address() const { return mapping_.begin(); }
  size_t size() const { return mapping_.size(); }
  void* get() const { return mapping_.get(); }

 private:
  explicit RegistryRegion(Mapping mapping) : mapping_(std::move(mapping)) {}
  Mapping mapping_;
};

}  // namespace tproc::registry
