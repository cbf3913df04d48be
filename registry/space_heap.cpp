#include "registry/space_heap.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace tproc::registry {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;
constexpr auto seq_cst = std::memory_order_seq_cst;

constexpr uint64_t kTagOne = uint64_t{1} << 32;
constexpr uint64_t kLowMask = 0xffffffffULL;

static_assert(class_size(kClassCount - 1) == kMaxSmallBlock);
static_assert(kClassCount < kFreeRunMark, "a class mark never looks like a run's");
static_assert(kLargeOrders <= kOrderMask + 1u);
static_assert(sizeof(HeapHeader) < kChunkBytes);

/// The next head of a tagged stack whose head was `head`: new first element `value`, tag advanced.
uint64_t next_head(uint64_t head, uint64_t value) { return ((head & ~kLowMask) + kTagOne) | value; }

uint64_t align64(uint64_t offset) { return (offset + 63) / 64 * 64; }

/// Adds `delta` to a counter only one thread writes (a plain load and store, no RMW).
void bump(std::atomic<int64_t>& counter, int64_t delta) { counter.store(counter.load(relaxed) + delta, relaxed); }

}  // namespace

int SpaceHeap::format(void* base, uint64_t size) {
  if (base == nullptr || size < kMinHeapBytes || size > kMaxHeapBytes ||
      reinterpret_cast<uintptr_t>(base) % 4096 != 0)
    return -EINVAL;
  auto* header = static_cast<HeapHeader*>(base);
  std::memset(static_cast<void*>(header), 0, sizeof(HeapHeader));
  header->size = size;
  header->chunk_count = size >> kChunkShift;
  header->map_offset = align64(sizeof(HeapHeader));
  header->link_offset = align64(header->map_offset + header->chunk_count);
  header->page_offset = align64(header->link_offset + header->chunk_count * sizeof(uint32_t));
  header->remote_offset = header->page_offset + header->chunk_count * sizeof(HeapPage);
  header->cache_offset = header->remote_offset + header->chunk_count * sizeof(HeapRemoteBits);
  uint64_t cache_count = header->chunk_count / 8;
  if (cache_count < 2) cache_count = 2;
  if (cache_count > kCacheSlots) cache_count = kCacheSlots;
  header->cache_count = cache_count;
  const uint64_t metadata = header->cache_offset + cache_count * sizeof(HeapCache);
  header->first_chunk = (metadata + kChunkBytes - 1) >> kChunkShift;
  if (header->first_chunk + 1 >= header->chunk_count) return -EINVAL;
  // The map and links of a region fresh from mmap are zero already; a reused one must be cleared.
  // Page records and remote bitmaps are written when their chunk is carved, cache slots when first
  // claimed; page 0
  // (metadata, never carved) must read as a page with no free block.
  auto* bytes = static_cast<std::byte*>(base);
  std::memset(bytes + header->map_offset, 0, header->page_offset - header->map_offset);
  std::memset(bytes + header->page_offset, 0, sizeof(HeapPage));
  header->top.store(header->first_chunk, relaxed);
  header->version = kHeapVersion;
  __atomic_store_n(&header->magic, kHeapMagic, __ATOMIC_RELEASE);
  return 0;
}

int SpaceHeap::validate(const void* base) {
  if (base == nullptr) return -ENXIO;
  const auto* header = static_cast<const HeapHeader*>(base);
  if (__atomic_load_n(&header->magic, __ATOMIC_ACQUIRE) != kHeapMagic) return -ENXIO;
  if (header->version != kHeapVersion) return -EPROTO;
  return 0;
}

// ---- Caches ---------------------------------------------------------------------------------------

HeapCache* SpaceHeap::claim_cache(int32_t pid) {
  HeapCache* table = caches();
  // A released slot first: its pages and counts were cleared when it was released.
  const uint32_t used = header_->caches_used.load(acquire);
  for (uint32_t slot = 0; slot < used; ++slot) {
    int32_t free_slot = 0;
    if (table[slot].pid.load(relaxed) == 0 && table[slot].pid.compare_exchange_strong(free_slot, pid, acquire, relaxed))
      return &table[slot];
  }
  // Then a slot never used: claimed by moving the high water, initialised before it is published.
  uint32_t high = header_->caches_used.load(relaxed);
  do {
    if (high >= header_->cache_count) {
      errno = EAGAIN;
      return nullptr;
    }
  } while (!header_->caches_used.compare_exchange_weak(high, high + 1, std::memory_order_acq_rel, relaxed));
  HeapCache& cache = table[high];
  cache.code = owned_by(high);
  for (uint32_t index = 0; index < kClassCount; ++index) {
    cache.pages[index].store(0, relaxed);
    cache.live[index].store(0, relaxed);
  }
  cache.pid.store(pid, release);
  return &cache;
}

void SpaceHeap::release_cache(HeapCache* cache) {
  for (uint32_t index = 0; index < kClassCount; ++index) {
    if (const uint32_t chunk = cache->pages[index].load(relaxed); chunk != 0) {
      release_page(chunk, index);
      cache->pages[index].store(0, relaxed);
    }
    if (const int64_t live = cache->live[index].load(relaxed); live != 0) {
      header_->classes[index].retired.fetch_add(live, relaxed);
      cache->live[index].store(0, relaxed);
    }
  }
  cache->pid.store(0, release);
}

uint32_t SpaceHeap::release_owner(int32_t pid) {
  if (pid == 0) return 0;
  HeapCache* table = caches();
  uint32_t released = 0;
  const uint32_t used = header_->caches_used.load(acquire);
  for (uint32_t slot = 0; slot < used; ++slot)
    if (table[slot].pid.load(acquire) == pid) {
      release_cache(&table[slot]);
      ++released;
    }
  return released;
}

// ---- Pages ----------------------------------------------------------------------------------------

void SpaceHeap::release_page(uint32_t chunk, uint32_t index) {
  HeapPage& page = pages()[chunk];
  // Read what is ours before letting go: once unowned, an adopter may change it at any moment.
  const bool has_local = page.local != 0;
  page.state.store(kPageUnowned, seq_cst);
  // A free that pushed onto `remote` before the store above left the listing to us; one after it
  // sees the page unowned and lists it itself (both sides are sequentially consistent).
  if (has_local || page.remote.load(seq_cst) != 0 || page.remote_words.load(seq_cst) != 0) list_page(chunk, index);
}

void SpaceHeap::list_page(uint32_t chunk, uint32_t index) {
  HeapPage& page = pages()[chunk];
  uint32_t unowned = kPageUnowned;
  if (!page.state.compare_exchange_strong(unowned, kPageListed, seq_cst, relaxed)) return;  // listed or owned
  std::atomic<uint64_t>& stack = header_->classes[index].partial;
  uint64_t head = stack.load(relaxed);
  do {
    page.link.store(static_cast<uint32_t>(head & kLowMask), relaxed);
  } while (!stack.compare_exchange_weak(head, next_head(head, chunk + 1u), release, relaxed));
}

uint32_t SpaceHeap::pop_partial(uint32_t index) {
  std::atomic<uint64_t>& stack = header_->classes[index].partial;
  uint64_t head = stack.load(acquire);
  while ((head & kLowMask) != 0) {
    const uint32_t chunk = static_cast<uint32_t>(head & kLowMask) - 1u;
    // Page records are metadata, never user memory: this read races with nothing but the tag.
    if (stack.compare_exchange_weak(head, next_head(head, pages()[chunk].link.load(relaxed)), acquire, acquire))
      return chunk;
  }
  return 0;
}

void SpaceHeap::own_page(HeapCache& cache, uint32_t chunk, uint32_t index) {
  HeapPage& page = pages()[chunk];
  page.state.store(cache.code, seq_cst);
  if (page.local == 0) take_remote(chunk, index);
  // allocate_refilled let the page pass only when it is ours or none of its blocks is live.
  page.pid.store(cache.pid.load(relaxed), relaxed);
  cache.pages[index].store(chunk, relaxed);
}

uint32_t SpaceHeap::carve_page(uint32_t index, int32_t pid) {
  const uint64_t chunk = carve(1);
  if (chunk == 0) return 0;
  const uint64_t size = class_size(index);
  const uint64_t count = kChunkBytes / size;
  const uint64_t first = chunk << kChunkShift;
  // Chain the chunk's blocks privately: nobody else can reach the chunk before its map byte is set.
  for (uint64_t i = 0; i + 1 < count; ++i)
    link_of(base_ + first + i * size) = static_cast<uint32_t>((first + (i + 1) * size) >> 4);
  link_of(base_ + first + (count - 1) * size) = 0;
  HeapRemoteBits& bits = remote_bits()[chunk];
  for (uint64_t word = 0; word < (count + 63) / 64; ++word) bits.words[word].store(0, relaxed);
  HeapPage& page = pages()[chunk];
  page.state.store(kPageUnowned, relaxed);
  page.link.store(0, relaxed);
  page.remote.store(0, relaxed);
  page.remote_words.store(0, relaxed);
  page.local = static_cast<uint32_t>(first >> 4);
  page.used = 0;
  page.pid.store(pid, relaxed);
  map()[chunk].store(static_cast<uint8_t>(index + 1), release);
  header_->classes[index].chunks.fetch_add(1, relaxed);
  return static_cast<uint32_t>(chunk);
}

uint64_t SpaceHeap::carve(uint64_t count) {
  uint64_t top = header_->top.load(relaxed);
  do {
    if (top + count > header_->chunk_count) {
      errno = ENOMEM;
      return 0;
    }
  } while (!header_->top.compare_exchange_weak(top, top + count, relaxed));
  return top;
}

// ---- Small blocks: the slow paths -----------------------------------------------------------------

void* SpaceHeap::allocate_refilled(HeapCache& cache, uint32_t index) {
  const uint64_t size = class_size(index);
  if (const uint32_t chunk = cache.pages[index].load(relaxed); chunk != 0) {
    // Our page is dry: take back what others freed on it, or let it go.
    const HeapPage& page = pages()[chunk];
    if ((page.remote.load(relaxed) | page.remote_words.load(relaxed)) != 0 && take_remote(chunk, index) != 0)
      return allocate(&cache, size);
    cache.pages[index].store(0, relaxed);
    release_page(chunk, index);
  }
  // A page someone let go with free blocks on it, else a fresh chunk.
  const int32_t pid = cache.pid.load(relaxed);
  while (const uint32_t chunk = pop_partial(index)) {
    HeapPage& page = pages()[chunk];
    // It may pass to us if it is our tproc's, or if none of its blocks is live: unowned, its `used`
    // is still what its last owner left, and the remote bitmap holds blocks that count includes.
    if (page.pid.load(relaxed) != pid) {
      if (const uint32_t remote = remote_count(chunk, index); page.used != remote) {
        // Another tproc's live blocks are on it: leave it unlisted. A free meanwhile (it saw the
        // page listed and left it) may have been the last live one: then list it again. Nobody
        // clears bits of a page nobody owns, so any such free shows in the count.
        page.state.store(kPageUnowned, seq_cst);
        if (remote_count(chunk, index) != remote) list_page(chunk, index);
        continue;
      }
    }
    own_page(cache, chunk, index);
    if (pages()[chunk].local != 0) return allocate(&cache, size);
    cache.pages[index].store(0, relaxed);  // listed twice over a race, emptied meanwhile
    release_page(chunk, index);
  }
  const uint32_t chunk = carve_page(index, pid);
  if (chunk == 0) return nullptr;
  pages()[chunk].state.store(cache.code, relaxed);
  cache.pages[index].store(chunk, relaxed);
  return allocate(&cache, size);
}

int SpaceHeap::free_remote(HeapCache* cache, HeapPage& page, uint64_t offset, uint64_t number, uint32_t index,
                           uint32_t state) {
  const uint64_t chunk = offset >> kChunkShift;
  if (state >= owned_by(0)) {
    // Another thread's page: its bit, so that the block's line stays in the owner's cache.
    const uint64_t word = number / 64;
    const uint64_t bit = uint64_t{1} << (number % 64);
    // Only the tested bit of the old value is used: one `lock bts`, not a CAS loop.
    if (remote_bits()[chunk].words[word].fetch_or(bit, seq_cst) & bit) [[unlikely]]
      return -EINVAL;  // freed already, not yet taken back: this second free changed nothing
    // Tell the owner to look at the word, unless it is told already: an owner that took the
    // summary bit after this read takes the word after our bit was set (all sequentially
    // consistent), so our bit is taken with it. A summary bit whose word is empty costs one look.
    const uint64_t summary = uint64_t{1} << word;
    if (!(page.remote_words.load(seq_cst) & summary)) page.remote_words.fetch_or(summary, seq_cst);
  } else {
    // Nobody's page (or one whose owner let it go after the load above: then the list is as good).
    uint64_t head = page.remote.load(relaxed);
    uint64_t next = 0;
    do {
      link_of(base_ + offset) = static_cast<uint32_t>(head & kLowMask);
      next = (((head >> 32) + 1) << 32) | (offset >> 4);
    } while (!page.remote.compare_exchange_weak(head, next, seq_cst, relaxed));
  }
  if (cache != nullptr)
    bump(cache->live[index], -1);
  else
    header_->classes[index].retired.fetch_sub(1, relaxed);
  // An unowned page with a free block must be findable: see release_page for the other side.
  if (page.state.load(seq_cst) == kPageUnowned) list_page(static_cast<uint32_t>(chunk), index);
  return 0;
}

uint32_t SpaceHeap::take_remote(uint32_t chunk, uint32_t index) {
  HeapPage& page = pages()[chunk];
  // The list first: it becomes the local list (empty, our precondition), the bitmap's blocks go
  // on top of it.
  uint32_t head = page.local;
  uint32_t taken = 0;
  if (page.remote.load(relaxed) != 0) {
    const uint64_t list = page.remote.exchange(0, acquire);
    head = static_cast<uint32_t>(list & kLowMask);
    taken = static_cast<uint32_t>(list >> 32);
  }
  uint64_t words = page.remote_words.load(relaxed) != 0 ? page.remote_words.exchange(0, seq_cst) : 0;
  HeapRemoteBits& bits = remote_bits()[chunk];
  const uint64_t size = size_of_class(index);
  std::byte* const first = base_ + (uint64_t{chunk} << kChunkShift);
  const uint32_t first_unit = chunk << (kChunkShift - 4);
  while (words != 0) {
    const auto word = static_cast<uint32_t>(__builtin_ctzll(words));
    words &= words - 1;
    uint64_t freed = bits.words[word].exchange(0, seq_cst);
    const uint64_t word_within = uint64_t{word} * 64 * size;
    for (; freed != 0; freed &= freed - 1, ++taken) {
      const uint64_t within = word_within + static_cast<uint64_t>(__builtin_ctzll(freed)) * size;
      // The owner writes the link: the block's line is likely still in its cache from when it
      // handed the block out, where a link written by the freer had to come back from the freer's.
      link_of(first + within) = head;
      head = first_unit + static_cast<uint32_t>(within >> 4);
    }
  }
  page.local = head;
  page.used -= taken;
  return taken;
}

uint32_t SpaceHeap::remote_count(uint32_t chunk, uint32_t index) const {
  const HeapRemoteBits& bits = remote_bits()[chunk];
  const uint64_t words = (kChunkBytes / size_of_class(index) + 63) / 64;
  auto count = static_cast<uint32_t>(pages()[chunk].remote.load(seq_cst) >> 32);
  for (uint64_t word = 0; word < words; ++word)
    count += static_cast<uint32_t>(__builtin_popcountll(bits.words[word].load(seq_cst)));
  return count;
}

int SpaceHeap::free_other(void* pointer) {
  const uint64_t offset = static_cast<uint64_t>(static_cast<std::byte*>(pointer) - base_);
  const uint64_t chunk = offset >> kChunkShift;
  const uint8_t mark = map()[chunk].load(acquire);
  if (!(mark & kLargeMark) || (offset & (kChunkBytes - 1)) != 0) return -EINVAL;
  return free_large(chunk, mark & kOrderMask);
}

// ---- Large runs -----------------------------------------------------------------------------------

void* SpaceHeap::allocate_large(int32_t pid, uint64_t size) {
  if (pid == 0) pid = static_cast<int32_t>(::getpid());  // no cache: the calling tproc all the same
  const uint64_t chunks = (size + kChunkBytes - 1) >> kChunkShift;
  uint32_t order = 0;
  while ((uint64_t{1} << order) < chunks) ++order;
  if (order >= kLargeOrders) {
    errno = ENOMEM;
    return nullptr;
  }
  HeapLargeOrder& stack = header_->large[order];
  uint64_t chunk = 0;
  uint64_t head = stack.head.load(acquire);
  while ((head & kLowMask) != 0) {
    const uint64_t candidate = (head & kLowMask) - 1;
    // The link array is heap metadata, never user memory, so this read races with nothing.
    if (stack.head.compare_exchange_weak(head, next_head(head, links()[candidate].load(relaxed)), acquire, acquire)) {
      chunk = candidate;
      break;
    }
  }
  if (chunk == 0 && (chunk = carve(uint64_t{1} << order)) == 0) return nullptr;
  pages()[chunk].pid.store(pid, relaxed);
  map()[chunk].store(static_cast<uint8_t>(kLargeMark | order), release);
  header_->large_blocks.fetch_add(1, relaxed);
  header_->large_chunks.fetch_add(int64_t{1} << order, relaxed);
  return base_ + (chunk << kChunkShift);
}

int SpaceHeap::free_large(uint64_t chunk, uint32_t order) {
  uint8_t expected = static_cast<uint8_t>(kLargeMark | order);
  // Marking the run free first turns a second free of it into -EINVAL instead of a corrupted stack.
  if (!map()[chunk].compare_exchange_strong(expected, static_cast<uint8_t>(kFreeRunMark | order),
                                            std::memory_order_acq_rel))
    return -EINVAL;
  const uint64_t bytes = kChunkBytes << order;
  if (bytes >= kReleaseBytes) ::madvise(base_ + (chunk << kChunkShift), bytes, MADV_DONTNEED);
  header_->large_blocks.fetch_sub(1, relaxed);
  header_->large_chunks.fetch_sub(int64_t{1} << order, relaxed);

  HeapLargeOrder& stack = header_->large[order];
  uint64_t head = stack.head.load(relaxed);
  do {
    links()[chunk].store(static_cast<uint32_t>(head & kLowMask), relaxed);
  } while (!stack.head.compare_exchange_weak(head, next_head(head, chunk + 1), release, relaxed));
  return 0;
}

}  // namespace tproc::registry
