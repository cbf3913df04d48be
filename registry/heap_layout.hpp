#pragma once
// The space heap's bytes (registry/space_heap.hpp): the fixed layout every tproc reads and writes
// in place. Any change here bumps kHeapVersion, so a libtproc of another build treats the space
// as foreign instead of misreading it.
//
// Region: the HeapHeader; then the chunk map (one byte per 64 KiB chunk: which size class the chunk
// serves, or the order of the large run, live or free, it starts); the link array of free large runs; one
// HeapPage per chunk; one HeapRemoteBits per chunk; the table of HeapCache slots; then the chunks.
//
// Ownership, the invariant the speed rests on: a small-block chunk (a "page") is owned by at most
// one cache (one thread of one tproc) at a time, recorded in HeapPage::state. Only the owner
// touches a page's `local` list and `used` count, with plain loads and stores. Every other thread
// frees a block of a page that a cache owns by setting the block's bit in the page's remote bitmap
// (HeapRemoteBits) with one atomic OR, never writing the block itself, so the block's cache line
// stays with the owner; HeapPage::remote_words has a bit per bitmap word that may hold bits, so the
// owner reads only those words. A block of a page nobody owns (its thread let it go and frees it
// now, say) is pushed onto the page's `remote` list with one CAS: no owner's line to spare, and the
// freer's link write is cheaper than a bit for the next owner to turn back into a link. The owner
// takes both back (one exchange per word, one for the list) when its local list runs dry. A page
// nobody owns that has free blocks sits (once) on its class's `partial` stack, where a cache that
// needs a page adopts it.
//
// Who allocated a block, the invariant `tproc which` and the leak check rest on: every live block
// of a page was allocated by the tproc in HeapPage::pid. A page passes to a cache of another tproc
// only when none of its blocks is live; a cache that pops such a page leaves it unlisted (the next
// free onto it lists it again). So one word per 64 KiB records the owner of up to 4096 blocks, and
// the fast paths do not change; the cost is that the free blocks of a page that still holds another
// tproc's live blocks wait until those are freed (or until a thread of that tproc takes the page).

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tproc::registry {

inline constexpr uint64_t kHeapMagic = 0x7470726368656170ULL;  // "tprcheap"
inline constexpr uint32_t kHeapVersion = 4;
inline constexpr uint32_t kChunkShift = 16;  ///< 64 KiB chunks
inline constexpr uint64_t kChunkBytes = uint64_t{1} << kChunkShift;
inline constexpr uint32_t kClassCount = 40;
inline constexpr uint64_t kMaxSmallBlock = 32768;
inline constexpr uint32_t kLargeOrders = 20;  ///< runs of 1 to 2^19 chunks (32 GiB)
/// The heap is addressed in 16-byte units with 32-bit offsets.
inline constexpr uint64_t kMaxHeapBytes = uint64_t{1} << 36;
inline constexpr uint64_t kMinHeapBytes = 16 * kChunkBytes;
/// Freed large runs of at least this many bytes go back to the kernel.
inline constexpr uint64_t kReleaseBytes = uint64_t{1} << 20;
/// Threads that may hold a cache at once, over the whole space (a small heap has fewer slots: one
/// per 8 chunks, at least 2).
inline constexpr uint32_t kCacheSlots = 4096;

/// Chunk map bytes: 1 + class for a small-block page; kLargeMark | order for the first chunk of a
/// live run of 2^order chunks, kFreeRunMark | order for a freed one; 0 for the rest (a run's other
/// chunks, metadata, uncarved).
inline constexpr uint8_t kLargeMark = 0x80;
inline constexpr uint8_t kFreeRunMark = 0x40;
inline constexpr uint8_t kOrderMask = 0x3f;

/// HeapPage::state of a page no cache owns and that is on no stack.
inline constexpr uint32_t kPageUnowned = 0;
/// HeapPage::state of a page no cache owns, on its class's partial stack.
inline constexpr uint32_t kPageListed = 1;
/// HeapPage::state of a page owned by cache slot `slot`.
constexpr uint32_t owned_by(uint32_t slot) { return slot + 2; }

/// One chunk's bookkeeping, on its own cache line so that pages of different owners never share one.
struct alignas(64) HeapPage {
  std::atomic<uint32_t> state;   ///< kPageUnowned, kPageListed or owned_by(slot)
  std::atomic<uint32_t> link;    ///< the next page (chunk + 1) on the partial stack; 0: the last
  std::atomic<uint64_t> remote;  ///< (count << 32) | offset/16 of blocks freed while no cache owned it
  std::atomic<uint64_t> remote_words;  ///< bit w: word w of the page's HeapRemoteBits may hold bits
  uint32_t local;                ///< owner only: offset/16 of the first free block; 0: none
  uint32_t used;                 ///< owner only: blocks handed out minus blocks taken back
  /// The tproc (tgid) that allocated every live block of this page (large: the run's allocator).
  std::atomic<int32_t> pid;
};
static_assert(sizeof(HeapPage) == 64);

/// Bitmap words a page's remote bitmap needs at most: one bit per block of the 16-byte class.
inline constexpr uint32_t kRemoteWords = kChunkBytes / 16 / 64;

/// The blocks of one page that other threads freed and its owner has not taken back yet: bit b of
/// word w is block 64 * w + b. Set by freers (atomic OR), cleared by the owner (exchange). On lines
/// of its own, apart from HeapPage, which the owner writes on every allocation.
struct alignas(64) HeapRemoteBits {
  std::atomic<uint64_t> words[kRemoteWords];
};
static_assert(sizeof(HeapRemoteBits) == 512 && kRemoteWords == 64, "HeapPage::remote_words: a bit per word");

/// A thread's cache: the page it allocates from in each class, and its usage counts. Written only
/// by its thread, except when its tproc has exited and the daemon releases it.
struct alignas(64) HeapCache {
  std::atomic<int32_t> pid;  ///< the owning tproc (tgid); 0: the slot is free
  uint32_t code;             ///< owned_by(this slot): what HeapPage::state holds for our pages
  std::atomic<uint32_t> pages[kClassCount];  ///< the owned page (chunk) per class; 0: none
  /// Blocks this thread allocated minus blocks it freed, per class (a remote free counts where it
  /// is made, so one cache's count may be negative; the sum over caches is what is live).
  std::atomic<int64_t> live[kClassCount];
};

/// One size class: its stack of unowned pages with free blocks, and the counts of retired caches.
struct alignas(64) HeapClass {
  std::atomic<uint64_t> partial;  ///< (tag << 32) | (chunk + 1) of the first listed page; 0: empty
  std::atomic<int64_t> retired;   ///< the `live` counts of released caches and of cacheless frees
  std::atomic<uint64_t> chunks;   ///< chunks carved for this class
};

/// One order of large runs: a free stack of runs of 2^order chunks.
struct alignas(64) HeapLargeOrder {
  std::atomic<uint64_t> head;  ///< (tag << 32) | (first chunk + 1); 0: empty
};

/// The first bytes of the heap region.
struct HeapHeader {
  uint64_t magic;
  uint32_t version;
  uint32_t reserved;
  uint64_t size;          ///< bytes in the region
  uint64_t chunk_count;   ///< chunks in the region, metadata included
  uint64_t first_chunk;   ///< the first chunk after the metadata
  uint64_t map_offset;    ///< std::atomic<uint8_t>[chunk_count]: the chunk map (kLargeMark)
  uint64_t link_offset;   ///< std::atomic<uint32_t>[chunk_count]: next run in a large free stack
  uint64_t page_offset;   ///< HeapPage[chunk_count]
  uint64_t remote_offset; ///< HeapRemoteBits[chunk_count]
  uint64_t cache_offset;  ///< HeapCache[cache_count]
  uint64_t cache_count;   ///< cache slots in the table

  alignas(64) std::atomic<uint64_t> top;  ///< the next chunk to carve
  std::atomic<uint32_t> caches_used;      ///< cache slots ever claimed (the table's high water)
  HeapClass classes[kClassCount];
  HeapLargeOrder large[kLargeOrders];
  alignas(64) std::atomic<int64_t> large_blocks;  ///< large runs handed out
  std::atomic<int64_t> large_chunks;              ///< chunks in them
};

static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free,
              "heap words must be lock-free to be shared between processes");

/// The size of class `index` in bytes.
constexpr uint64_t class_size(uint32_t index) {
  if (index < 8) return (index + 1) * 16;
  const uint32_t group = (index - 8) / 4, step = (index - 8) % 4;
  const uint64_t base = uint64_t{128} << group;
  return base + (step + 1) * (base / 4);
}

/// The class that serves `size` bytes (1 to kMaxSmallBlock; 0 counts as 1).
inline uint32_t class_of(uint64_t size) {
  if (size <= 128) return size == 0 ? 0 : static_cast<uint32_t>((size - 1) / 16);
  const uint32_t power = 63 - static_cast<uint32_t>(__builtin_clzll(size - 1));  // 2^power < size <= 2^(power+1)
  // A shift, not a division by the quarter: a division would cost as much as the rest of malloc.
  return 8 + (power - 7) * 4 + static_cast<uint32_t>((size - 1 - (uint64_t{1} << power)) >> (power - 2));
}

/// ceil(2^32 / class_size(index)): `offset * reciprocal >> 32` is offset / class_size for every
/// offset inside a chunk (offset * size < 2^32 bounds the rounding error below one block).
constexpr uint64_t compute_class_reciprocal(uint32_t index) {
  return ((uint64_t{1} << 32) + class_size(index) - 1) / class_size(index);
}

/// Both per-class numbers the fast paths need, looked up rather than computed (the reciprocal
/// would be a division).
struct ClassNumbers {
  uint64_t size[kClassCount];
  uint64_t reciprocal[kClassCount];
};
inline constexpr ClassNumbers kClassNumbers = [] {
  ClassNumbers numbers{};
  for (uint32_t index = 0; index < kClassCount; ++index) {
    numbers.size[index] = class_size(index);
    numbers.reciprocal[index] = compute_class_reciprocal(index);
  }
  return numbers;
}();

/// class_size(index) from the table.
inline uint64_t size_of_class(uint32_t index) { return kClassNumbers.size[index]; }
/// compute_class_reciprocal(index) from the table.
inline uint64_t class_reciprocal(uint32_t index) { return kClassNumbers.reciprocal[index]; }

}  // namespace tproc::registry
