#include "registry/heap_region.hpp"

#include <sys/mman.h>

#include <string>

namespace tproc::registry {

Result<HeapRegion> HeapRegion::reserve(uint64_t size) {
  constexpr uint64_t kSmallest = uint64_t{256} << 20;
  for (uint64_t request = size;; request /= 2) {
    void* area = ::mmap(nullptr, request, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area != MAP_FAILED) return HeapRegion(Mapping(area, request));
    if (errno != ENOMEM || request / 2 < kSmallest)
      return Error::from_errno("reserve " + std::to_string(request >> 20) + " MiB for the space heap");
  }
}

}  // namespace tproc::registry
