#pragma once
// RegistryRegion: the space-wide memory that holds the endpoint registry.
//
// The daemon maps it once per space, before the first tproc starts, and every tproc finds its
// address in the TPROC_AT_REGISTRY auxv entry. Its contents (the endpoint table) come with the
// registry itself; for now the region is reserved, zeroed and stamped with a header that lets a
// reader check it found a tproc registry of a layout it understands.

#include <cstddef>
#include <cstdint>

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::registry {

/// The first bytes of the region.
struct RegionHeader {
  uint64_t magic;    ///< kRegionMagic
  uint32_t version;  ///< layout version
  uint32_t size;     ///< bytes in the region
};

inline constexpr uint64_t kRegionMagic = 0x7470726f63726567ULL;  // "tprocreg"
inline constexpr uint32_t kRegionVersion = 1;

/// The mapped registry region of a space.
class RegistryRegion {
 public:
  /// Maps `size` bytes of shared, zeroed memory and writes the header.
  static Result<RegistryRegion> create(size_t size = 1 << 20);

  uint64_t address() const { return mapping_.begin(); }
  size_t size() const { return mapping_.size(); }

 private:
  explicit RegistryRegion(Mapping mapping) : mapping_(std::move(mapping)) {}
  Mapping mapping_;
};

}  // namespace tproc::registry
