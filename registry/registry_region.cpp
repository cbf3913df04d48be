#include "registry/registry_region.hpp"

#include <sys/mman.h>

namespace tproc::registry {

Result<RegistryRegion> RegistryRegion::create(size_t size) {
  if (size < kRegionBytes || size > UINT32_MAX)
    return Error("registry region of " + std::to_string(size) + " bytes (needs " + std::to_string(kRegionBytes) +
                     " to 4 GiB)", EINVAL);
  // MAP_SHARED: a tproc that forks keeps seeing the live registry rather than a stale copy.
  void* area = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return Error::from_errno("map the registry region");
  return RegistryRegion(Mapping(area, size));
}

}  // namespace tproc::registry
