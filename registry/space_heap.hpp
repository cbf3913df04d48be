#pragma once
// SpaceHeap: the space-wide heap, whose blocks any tproc may free whoever allocated them, and which
// outlive the tproc that allocated them.
//
// Where it lives: one big private anonymous reservation (MAP_NORESERVE) that the daemon makes once
// per space (registry/heap_region.hpp) and announces in the registry header; every tproc allocates
// in place, with no daemon round trip. Pages are committed only when touched. The layout, and who
// may write what, is registry/heap_layout.hpp.
//
// Small blocks (16 B to 32 KiB, 40 size classes, at most 25% rounding) come from 64 KiB chunks
// dedicated to their class; larger blocks are runs of 2^k chunks on lock-free stacks.
//
// Speed, as mimalloc and snmalloc do it: each thread allocates through its own HeapCache, from a
// page only it owns, so an allocation is a pop from the page's private list and a free by the
// owner a push onto it: plain loads and stores on cache lines no other thread writes. A free of
// another thread's (or tproc's) block sets the block's bit in that page's remote bitmap with one
// atomic OR and leaves the block's own bytes alone: a cross-thread free used to write its link into
// the block and the owner read it back, so each such block's line crossed cores twice. (A block of
// a page nobody owns is pushed onto the page's remote list with one CAS.) When a page runs dry its
// owner takes those blocks back (one exchange per bitmap word, one for the list) and links them
// into its own list, or lets the page go and adopts one with free blocks from the class's partial
// stack, or carves a fresh chunk.
//
// No lock anywhere, so a tproc killed in the middle of any operation blocks nobody. What it owned
// is given back when the daemon learns it exited (release_owner): its pages become adoptable with
// every free block on them, by another tproc once its own live blocks on them are freed; at worst
// the one block or page it was moving when it died is lost, and the usage counts are off by that
// block. A thread that ends releases its own cache. Blocks stay valid until freed, whoever
// allocated them.
//
// Every block records the tproc that allocated it (its pid), through its page: the blocks live on
// a page are all of one tproc (registry/heap_layout.hpp says how). find_block() and
// for_each_live() answer "which block is at this address, whose, free or live" and "which blocks
// are live" for `tproc which` and space-wide leak checks.
//
// Built without exceptions or RTTI and without libstdc++'s runtime, like the endpoint table.

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "registry/heap_layout.hpp"

namespace tproc::registry {

/// What the heap holds, for tproc_heap_usage().
struct HeapUsage {
  uint64_t bytes_in_use;    ///< bytes in live blocks (rounded up to their size class)
  uint64_t blocks_in_use;   ///< live blocks
  uint64_t bytes_carved;    ///< bytes of chunks taken from the reservation so far
  uint64_t bytes_reserved;  ///< the whole reservation
};

/// Whether a block found by find_block() is handed out.
enum class BlockState : uint8_t {
  live,  ///< allocated and not freed
  free,  ///< on its page's free lists, or a freed large run: no tproc holds it
};

/// One heap block, as find_block() and for_each_live() report it (for `tproc which`, leak checks).
struct HeapBlock {
  uint64_t begin;      ///< the block's first byte
  uint64_t size;       ///< its usable size: its size class, or the whole large run
  int32_t allocator;   ///< pid (tgid) of the tproc that allocated it; 0 for a free block
  BlockState state;
  bool large;          ///< a run of chunks rather than a small block
};

/// Called by for_each_live() once per live block; a nonzero return ends the walk.
using LiveBlockVisitor = int (*)(const HeapBlock& block, void* context);

/// The heap in a region that passed validate(). A view: the region owns the memory.
class SpaceHeap {
 public:
  /// Lays out an empty heap in the `size` bytes at `base` (page-aligned, zero or not):
  /// 0 or -EINVAL (too small, too big or misaligned).
  static int format(void* base, uint64_t size);

  /// 0 if `base` holds a heap this code understands, else -ENXIO (none) or -EPROTO (another version).
  static int validate(const void* base);

  explicit SpaceHeap(void* base)
      : header_(static_cast<HeapHeader*>(base)), base_(static_cast<std::byte*>(base)) {}

  /// A cache for one thread of tproc `pid`, or null with errno EAGAIN when every slot is taken.
  HeapCache* claim_cache(int32_t pid);

  /// Gives up `cache` (its thread is ending): its pages become adoptable, its counts are kept.
  void release_cache(HeapCache* cache);

  /// Releases every cache of the tproc `pid`, which has exited (the daemon calls this after
  /// reaping it; never for a live tproc). Returns how many caches it had.
  uint32_t release_owner(int32_t pid);

  /// A block of at least `size` bytes, 16-byte aligned (64 KiB for blocks above 32 KiB), or null
  /// with errno ENOMEM when the reservation is exhausted. `cache` belongs to the calling thread;
  /// without one only large blocks can be had (errno EAGAIN for a small one).
  void* allocate(HeapCache* cache, uint64_t size);

  /// Returns `block` to the heap: 0, or -EINVAL when it is not a block of this heap (null is 0), or
  /// when a small block of a page another cache owns is in that page's remote bitmap already (a
  /// double free the bitmap catches; others are not caught). `cache` is the calling
  /// thread's, or null (then the free takes the remote path).
  int free(HeapCache* cache, void* block);

  /// The usable size of `block`, or 0 when it is not a block of this heap.
  uint64_t block_size(const void* block) const;

  // The queries (registry/space_heap_query.cpp) read what other threads write without stopping
  // them: exact when no other thread allocates or frees meanwhile (every other tproc stopped by
  // tproc_stop_world(), the caller's own threads quiet); otherwise each answer is a real block's
  // start and size, but a block allocated or freed during the call may show either state. They
  // never write, never loop forever and never read outside the heap's chunks and metadata.

  /// The block that contains `address` (any byte of it): true with `*block` filled, live or free;
  /// false when the address is in no block (outside the heap, metadata, uncarved, a page's slack).
  bool find_block(const void* address, HeapBlock* block) const;

  /// Calls `visit` for every live block, in address order: 0, or the first nonzero `visit` result.
  int for_each_live(LiveBlockVisitor visit, void* context) const;

  /// Whether `address` lies in the heap's chunks.
  bool contains(const void* address) const {
    const auto* byte = static_cast<const std::byte*>(address);
    return byte >= base_ + (header_->first_chunk << kChunkShift) && byte < base_ + (header_->chunk_count << kChunkShift);
  }

  /// What the heap holds (relaxed counts: a snapshot while others allocate).
  HeapUsage usage() const;

 private:
  /// allocate() when the cache's page for class `index` is dry.
  void* allocate_refilled(HeapCache& cache, uint32_t index);
  void* allocate_large(int32_t pid, uint64_t size);
  /// free() of block `number`, at `offset`, of `page`, which the caller does not own (its state
  /// was `state`).
  int free_remote(HeapCache* cache, HeapPage& page, uint64_t offset, uint64_t number, uint32_t index, uint32_t state);
  /// Owner only, its local list empty: makes the blocks of `chunk`'s remote list and bitmap its
  /// local list; how many.
  uint32_t take_remote(uint32_t chunk, uint32_t index);
  /// The blocks on `chunk`'s remote list and bitmap (a page nobody owns: only an owner takes them).
  uint32_t remote_count(uint32_t chunk, uint32_t index) const;
  int free_large(uint64_t chunk, uint32_t order);
  /// free() of anything but a small block of a page: large runs and bad pointers.
  int free_other(void* block);
  /// Lets `page` go; lists it on its class's partial stack when it has free blocks.
  void release_page(uint32_t chunk, uint32_t index);
  /// Puts unowned `page` on its class's partial stack unless someone already did.
  void list_page(uint32_t chunk, uint32_t index);
  /// Makes `chunk`'s page `cache`'s own for class `index`, fresh or adopted.
  void own_page(HeapCache& cache, uint32_t chunk, uint32_t index);
  /// Sets in `bits` (one per block, kChunkBytes / 16 bits) the blocks on small page `chunk`'s free
  /// lists, following links only while they name blocks of that page, each at most once.
  void mark_free_blocks(uint64_t chunk, uint32_t index, uint64_t* bits) const;
  /// Reports the live blocks of small page `chunk` to `visit`.
  int visit_page(uint64_t chunk, uint32_t index, LiveBlockVisitor visit, void* context) const;
  /// Takes a page off class `index`'s partial stack: its chunk, or 0 when there is none.
  uint32_t pop_partial(uint32_t index);
  /// Carves a chunk for class `index` with all its blocks on its local list: the chunk, or 0.
  uint32_t carve_page(uint32_t index, int32_t pid);
  /// Takes `count` fresh chunks from the reservation; returns the first, or 0 when full.
  uint64_t carve(uint64_t count);

  std::atomic<uint8_t>* map() const { return reinterpret_cast<std::atomic<uint8_t>*>(base_ + header_->map_offset); }
  std::atomic<uint32_t>* links() const {
    return reinterpret_cast<std::atomic<uint32_t>*>(base_ + header_->link_offset);
  }
  HeapPage* pages() const { return reinterpret_cast<HeapPage*>(base_ + header_->page_offset); }
  HeapRemoteBits* remote_bits() const { return reinterpret_cast<HeapRemoteBits*>(base_ + header_->remote_offset); }
  HeapCache* caches() const { return reinterpret_cast<HeapCache*>(base_ + header_->cache_offset); }
  /// The first four bytes of a free block: the offset/16 of the next one on its list.
  static uint32_t& link_of(std::byte* block) { return *reinterpret_cast<uint32_t*>(block); }

  HeapHeader* header_;
  std::byte* base_;
};

// The two fast paths, inline: a call's worth of time is a sizeable part of an allocation.

inline void* SpaceHeap::allocate(HeapCache* cache, uint64_t size) {
  if (size > kMaxSmallBlock || cache == nullptr) [[unlikely]]
    return allocate_large(cache ? cache->pid.load(std::memory_order_relaxed) : 0, size);
  const uint32_t index = class_of(size);
  // Page 0 is metadata, never carved: its record stays zero, so "no page" reads as a dry page.
  HeapPage& page = pages()[cache->pages[index].load(std::memory_order_relaxed)];
  const uint32_t head = page.local;
  if (head == 0) [[unlikely]]
    return allocate_refilled(*cache, index);
  std::byte* block = base_ + (uint64_t{head} << 4);
  page.local = link_of(block);
  page.used += 1;
  cache->live[index].store(cache->live[index].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return block;
}

inline int SpaceHeap::free(HeapCache* cache, void* pointer) {
  auto* block = static_cast<std::byte*>(pointer);
  if (!contains(block)) [[unlikely]]
    return pointer == nullptr ? 0 : -EINVAL;
  const uint64_t offset = static_cast<uint64_t>(block - base_);
  const uint64_t chunk = offset >> kChunkShift;
  const uint8_t mark = map()[chunk].load(std::memory_order_acquire);
  if (mark == 0 || mark > kClassCount) [[unlikely]]
    return free_other(pointer);
  const uint32_t index = mark - 1u;
  const uint64_t within = offset & (kChunkBytes - 1);
  const uint64_t number = (within * class_reciprocal(index)) >> 32;
  if (number * size_of_class(index) != within) [[unlikely]]
    return -EINVAL;  // not a block's start
  HeapPage& page = pages()[chunk];
  const uint32_t state = page.state.load(std::memory_order_relaxed);
  if (cache == nullptr || state != cache->code) [[unlikely]]
    return free_remote(cache, page, offset, number, index, state);
  link_of(block) = page.local;
  page.local = static_cast<uint32_t>(offset >> 4);
  page.used -= 1;
  cache->live[index].store(cache->live[index].load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return 0;
}

}  // namespace tproc::registry
