#include "registry/registry_region.hpp"

#include <sys/mman.h>

namespace tproc::registry {

Result<RegistryRegion> RegistryRegion::create(size_t size) {
  // MAP_SHARED: a tproc that forks keeps seeing the live registry rather than a stale copy.
  void* area = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return Error::from_errno("map the registry region");
  auto* header = static_cast<RegionHeader*>(area);
  header->magic = kRegionMagic;
  header->version = kRegionVersion;
  header->size = static_cast<uint32_t>(size);
  return RegistryRegion(Mapping(area, size));
}

}  // namespace tproc::registry
