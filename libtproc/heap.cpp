// The space-heap half of the C API. Thin: the allocator is registry/space_heap.cpp, in the region
// the daemon reserved for the space; this file gives each thread its cache.
//
// Per-thread state, and why it is here: a HeapCache belongs to one thread, and every tproc has its
// own libc and TLS, so a thread_local is exactly "this thread of this tproc". It remembers the
// attachment epoch it was claimed in, so a cache of a heap no longer attached (a test's space
// replaced, a fork child outside the space) is never written through. initial-exec: a general-dynamic TLS access is a __tls_get_addr
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

using tproc::lib::attachment_epoch;
using tproc::registry::HeapCache;
using tproc::registry::SpaceHeap;

struct ThreadHeap {
  uint64_t epoch;  ///< attachment_epoch when `cache` was claimed; 0: none
  void* base;
  HeapCache* cache;
};

__attribute__((tls_model("initial-exec"))) thread_local ThreadHeap current{0, nullptr, nullptr};

pthread_key_t exit_key;
pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/// Whether this thread's cache is of the heap attached now.
inline bool cache_is_current(const ThreadHeap& mine) {
  return mine.epoch == attachment_epoch.load(std::memory_order_relaxed);
}

void release_at_thread_exit(void*) {
  ThreadHeap& mine = current;
  // Only while the heap the cache came from is still the attached one.
  if (cache_is_current(mine)) SpaceHeap(mine.base).release_cache(mine.cache);
  mine = ThreadHeap{0, nullptr, nullptr};
}

void make_exit_key() { pthread_key_create(&exit_key, release_at_thread_exit); }

/// The space heap and this thread's cache of it, claimed on first use (null when every slot is
/// taken: retried on the next call). Null heap with `*error` set when there is no heap.
[[gnu::noinline]] void* find_heap(HeapCache** cache, int* error) {
  const uint64_t epoch = attachment_epoch.load(std::memory_order_acquire);
  void* base = tproc::lib::attached_heap(error);
  *cache = nullptr;
  if (base == nullptr) return nullptr;
  *cache = SpaceHeap(base).claim_cache(static_cast<int32_t>(::getpid()));
  if (*cache != nullptr) {
    pthread_once(&exit_key_once, make_exit_key);
    pthread_setspecific(exit_key, *cache);
    current = ThreadHeap{epoch, base, *cache};
  }
  return base;
}

}  // namespace

extern "C" {

TPROC_API void* tproc_heap_alloc(size_t size) {
  const ThreadHeap& mine = current;
  if (cache_is_current(mine)) [[likely]]
    return SpaceHeap(mine.base).allocate(mine.cache, size);  // errno ENOMEM when null
  HeapCache* cache = nullptr;
  int error = 0;
  void* base = find_heap(&cache, &error);
  if (base == nullptr) {
    errno = -error;
    return nullptr;
  }
  return SpaceHeap(base).allocate(cache, size);
}

TPROC_API int tproc_heap_free(void* block) {
  const ThreadHeap& mine = current;
  if (cache_is_current(mine)) [[likely]]
    return SpaceHeap(mine.base).free(mine.cache, block);
  if (block == nullptr) return 0;
  HeapCache* cache = nullptr;
  int error = 0;
  void* base = find_heap(&cache, &error);
  if (base == nullptr) return error;
  return SpaceHeap(base).free(cache, block);
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

TPROC_API int tproc_heap_walk(int (*visit)(const struct tproc_heap_block*, void*), void* context) {
  if (visit == nullptr) return -EINVAL;
  int error = 0;
  void* base = tproc::lib::attached_heap(&error);
  if (base == nullptr) return error;
  struct Walk {
    int (*visit)(const struct tproc_heap_block*, void*);
    void* context;
  } walk{visit, context};
  return SpaceHeap(base).for_each_live(
      [](const tproc::registry::HeapBlock& found, void* state) {
        const auto& walk = *static_cast<const Walk*>(state);
        const tproc_heap_block block{reinterpret_cast<void*>(found.begin), static_cast<size_t>(found.size),
                                     found.allocator, found.large ? 1u : 0u};
        return walk.visit(&block, walk.context);
      },
      &walk);
}

}  // extern "C"
