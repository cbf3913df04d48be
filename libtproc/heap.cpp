// The space-heap half of the C API. Thin: the allocator is registry/space_heap.cpp, in the region
// the daemon reserved for the space; this file gives each thread its cache.
//
// Per-thread state, and why it is here: a HeapCache belongs to one thread, and every tproc has its
// own libc and TLS, so a thread_local is exactly "this thread of this tproc". It remembers which
// heap (address and format serial) the cache is of, so a heap formatted again is never written
// through a cache of the old one. initial-exec: a general-dynamic TLS access is a __tls_get_addr
// call, a fifth of an allocation; libtproc is loaded with the program (DT_NEEDED or static).
// A thread that ends gives its cache back through a pthread key destructor; a tproc that dies is
// released by the daemon (SpaceHeap::release_owner).

#include <pthread.h>
#include <unistd.h>

#include <cerrno>

#include "libtproc/attachment.hpp"
#include "registry/space_heap.hpp"
#include "tproc/tproc.h"

namespace {

using tproc::registry::HeapCache;
using tproc::registry::SpaceHeap;

struct ThreadHeap {
  void* base;
  uint64_t serial;
  HeapCache* cache;
};

__attribute__((tls_model("initial-exec"))) thread_local ThreadHeap current{nullptr, 0, nullptr};

pthread_key_t exit_key;
pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

void release_at_thread_exit(void*) {
  ThreadHeap& mine = current;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  // Only the heap the cache came from, and only while it is still the attached one.
  if (mine.cache != nullptr && base != nullptr && base == mine.base && SpaceHeap(base).format_serial() == mine.serial)
    SpaceHeap(base).release_cache(mine.cache);
  mine = ThreadHeap{nullptr, 0, nullptr};
}

void make_exit_key() { pthread_key_create(&exit_key, release_at_thread_exit); }

/// This thread's cache of the heap at `base`, claimed on first use; null when every slot is taken.
[[gnu::noinline]] HeapCache* claim_for(SpaceHeap heap, void* base) {
  ThreadHeap& mine = current;
  HeapCache* cache = heap.claim_cache(static_cast<int32_t>(::getpid()));
  if (cache == nullptr) return nullptr;  // retried on the next call
  pthread_once(&exit_key_once, make_exit_key);
  pthread_setspecific(exit_key, cache);
  mine = ThreadHeap{base, heap.format_serial(), cache};
  return cache;
}

inline HeapCache* cache_for(SpaceHeap heap, void* base) {
  const ThreadHeap& mine = current;
  if (mine.base == base && mine.serial == heap.format_serial()) [[likely]]
    return mine.cache;
  return claim_for(heap, base);
}

}  // namespace

extern "C" {

TPROC_API void* tproc_heap_alloc(size_t size) {
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) {
    errno = -error;
    return nullptr;
  }
  SpaceHeap heap(base);
  return heap.allocate(cache_for(heap, base), size);  // errno ENOMEM when null
}

TPROC_API int tproc_heap_free(void* block) {
  if (block == nullptr) return 0;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) return error;
  SpaceHeap heap(base);
  return heap.free(cache_for(heap, base), block);
}

TPROC_API size_t tproc_heap_block_size(const void* block) {
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  return base == nullptr || block == nullptr ? 0 : SpaceHeap(base).block_size(block);
}

TPROC_API int tproc_heap_usage(struct tproc_heap_stats* usage) {
  if (usage == nullptr) return -EINVAL;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) return error;
  const tproc::registry::HeapUsage found = SpaceHeap(base).usage();
  usage->bytes_in_use = found.bytes_in_use;
  usage->blocks_in_use = found.blocks_in_use;
  usage->bytes_carved = found.bytes_carved;
  usage->bytes_reserved = found.bytes_reserved;
  return 0;
}

}  // extern "C"
