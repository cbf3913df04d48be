// The space-heap half of the C API. Thin: the allocator is registry/space_heap.cpp, in the region
// the daemon reserved for the space.

#include <cerrno>

#include "libtproc/attachment.hpp"
#include "registry/space_heap.hpp"
#include "tproc/tproc.h"

extern "C" {

TPROC_API void* tproc_heap_alloc(size_t size) {
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) {
    errno = -error;
    return nullptr;
  }
  void* block = tproc::registry::SpaceHeap(base).allocate(size);
  if (block == nullptr) errno = ENOMEM;
  return block;
}

TPROC_API int tproc_heap_free(void* block) {
  if (block == nullptr) return 0;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) return error;
  return tproc::registry::SpaceHeap(base).free(block);
}

TPROC_API size_t tproc_heap_block_size(const void* block) {
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  return base == nullptr || block == nullptr ? 0 : tproc::registry::SpaceHeap(base).block_size(block);
}

TPROC_API int tproc_heap_usage(struct tproc_heap_stats* usage) {
  if (usage == nullptr) return -EINVAL;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) return error;
  const tproc::registry::HeapUsage found = tproc::registry::SpaceHeap(base).usage();
  usage->bytes_in_use = found.bytes_in_use;
  usage->blocks_in_use = found.blocks_in_use;
  usage->bytes_carved = found.bytes_carved;
  usage->bytes_reserved = found.bytes_reserved;
  return 0;
}

}  // extern "C"
