#pragma once
// SpaceHeap: the space-wide heap, whose blocks any tproc may free whoever allocated them, and which
// outlive the tproc that allocated them.
//
// Where it lives: one big private anonymous reservation (MAP_NORESERVE) that the daemon makes once
// per space (registry/heap_region.hpp) and announces in the registry header; every tproc allocates
// in place, with no daemon round trip. Pages are committed only when touched.
//
// Layout: the HeapHeader, then a chunk map (one byte per 64 KiB chunk: which size class the chunk
// serves, or the order of the large run it starts) and a link array for free large runs; then the
// chunks. Small blocks (16 B to 32 KiB, 40 size classes, at most 25% rounding) come from chunks
// dedicated to their class; larger blocks are runs of 2^k chunks.
//
// Invariant: no lock anywhere. Each size class is a lock-free stack (Treiber) of free blocks whose
// head packs the block's offset (in 16-byte units) with a 32-bit tag against ABA; a refill carves
// a fresh chunk with one CAS on `top` and pushes all its blocks with one CAS. So a tproc killed in
// the middle of any operation cannot block the others: at worst the block (or chunk) it was moving
// is lost, and the usage counters are off by that block. Freed runs of 1 MiB and more are given
// back to the kernel (MADV_DONTNEED).
//
// Speed: an allocation and a free are two CASes and two relaxed counter updates, all on the class's
// own cache line: about 15 ns in batches, 20-30 ns for an alloc/free pair (glibc: 10-15 ns from its
// per-thread cache). A per-thread cache would close that gap but would strand blocks in the caches
// of killed tprocs; bench/registry/registry_bench.cpp measures both patterns.
//
// Built without exceptions or RTTI and without libstdc++'s runtime, like the endpoint table.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tproc::registry {

inline constexpr uint64_t kHeapMagic = 0x7470726368656170ULL;  // "tprcheap"
inline constexpr uint32_t kHeapVersion = 1;
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

/// One size class: its free stack and counters, on its own cache line.
struct alignas(64) HeapClass {
  std::atomic<uint64_t> head;    ///< (tag << 32) | offset/16 of the first free block; 0 offset: empty
  std::atomic<int64_t> live;     ///< blocks handed out and not freed
  std::atomic<uint64_t> chunks;  ///< chunks carved for this class
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
  uint64_t size;         ///< bytes in the region
  uint64_t chunk_count;  ///< chunks in the region, metadata included
  uint64_t first_chunk;  ///< the first chunk after the metadata
  uint64_t map_offset;   ///< std::atomic<uint8_t>[chunk_count]: 0 none, 1+class, 0x80|order
  uint64_t link_offset;  ///< std::atomic<uint32_t>[chunk_count]: next run in a large free stack

  alignas(64) std::atomic<uint64_t> top;  ///< the next chunk to carve
  HeapClass classes[kClassCount];
  HeapLargeOrder large[kLargeOrders];
  alignas(64) std::atomic<int64_t> large_blocks;  ///< large runs handed out
  std::atomic<int64_t> large_chunks;              ///< chunks in them
};

/// What the heap holds, for tproc_heap_usage().
struct HeapUsage {
  uint64_t bytes_in_use;    ///< bytes in live blocks (rounded up to their size class)
  uint64_t blocks_in_use;   ///< live blocks
  uint64_t bytes_carved;    ///< bytes of chunks taken from the reservation so far
  uint64_t bytes_reserved;  ///< the whole reservation
};

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
  const uint64_t quarter = uint64_t{1} << (power - 2);
  return 8 + (power - 7) * 4 + static_cast<uint32_t>((size - 1 - (uint64_t{1} << power)) / quarter);
}

/// The heap in a region that passed validate(). A view: the region owns the memory.
class SpaceHeap {
 public:
  /// Lays out an empty heap in the `size` bytes at `base` (page-aligned, zero or not):
  /// 0 or -EINVAL (too small, too big or misaligned).
  static int format(void* base, uint64_t size);

  /// 0 if `base` holds a heap this code understands, else -ENXIO (none) or -EPROTO (another version).
  static int validate(const void* base);

  explicit SpaceHeap(void* base);

  /// A block of at least `size` bytes, 16-byte aligned (64 KiB for blocks above 32 KiB), or null
  /// when the reservation is exhausted.
  void* allocate(uint64_t size);

  /// Returns `block` to the heap: 0, or -EINVAL when it is not a block of this heap (null is 0).
  int free(void* block);

  /// The usable size of `block`, or 0 when it is not a block of this heap.
  uint64_t block_size(const void* block) const;

  /// Whether `address` lies in the heap's chunks.
  bool contains(const void* address) const;

  HeapUsage usage() const;

 private:
  void* allocate_large(uint64_t size);
  int free_large(uint64_t chunk, uint32_t order);
  /// Carves a chunk for class `index` and pushes its blocks; false when the heap is full.
  bool refill(uint32_t index);
  /// Takes `count` fresh chunks from the reservation; returns the first, or 0 when full.
  uint64_t carve(uint64_t count);

  std::atomic<uint8_t>* map() const;
  std::atomic<uint32_t>* links() const;

  HeapHeader* header_;
  std::byte* base_;
};

}  // namespace tproc::registry
