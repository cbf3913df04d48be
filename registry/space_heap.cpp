#include "registry/space_heap.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace tproc::registry {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;

constexpr uint8_t kLargeMark = 0x80;
constexpr uint64_t kTagOne = uint64_t{1} << 32;
constexpr uint64_t kLowMask = 0xffffffffULL;

static_assert(class_size(kClassCount - 1) == kMaxSmallBlock);
static_assert(sizeof(HeapHeader) < kChunkBytes);

/// The link word of a free block: its first four bytes hold the next free block's offset.
std::atomic<uint32_t>* link_of(std::byte* block) { return reinterpret_cast<std::atomic<uint32_t>*>(block); }

/// Reads the link of a block at the head of a free stack. The block may have been popped by another
/// thread meanwhile and be in use, its owner writing it: then the value read is garbage, and the
/// CAS that follows fails because the head's tag moved on. That read races with the owner's plain
/// writes by design, so ThreadSanitizer must not instrument it (the memory itself stays mapped:
/// the heap never unmaps its chunks).
#if defined(__SANITIZE_THREAD__)
__attribute__((no_sanitize("thread"), noinline))
#endif
uint32_t racy_link(std::byte* block) {
  return link_of(block)->load(relaxed);
}

/// The next head of a stack whose head was `head`: new first element `offset`, tag advanced.
uint64_t next_head(uint64_t head, uint64_t offset) { return ((head & ~kLowMask) + kTagOne) | offset; }

}  // namespace

int SpaceHeap::format(void* base, uint64_t size) {
  if (base == nullptr || size < kMinHeapBytes || size > kMaxHeapBytes ||
      reinterpret_cast<uintptr_t>(base) % 4096 != 0)
    return -EINVAL;
  auto* header = static_cast<HeapHeader*>(base);
  std::memset(static_cast<void*>(header), 0, sizeof(HeapHeader));
  header->size = size;
  header->chunk_count = size >> kChunkShift;
  header->map_offset = (sizeof(HeapHeader) + 63) / 64 * 64;
  header->link_offset = (header->map_offset + header->chunk_count + 63) / 64 * 64;
  const uint64_t metadata = header->link_offset + header->chunk_count * sizeof(uint32_t);
  header->first_chunk = (metadata + kChunkBytes - 1) >> kChunkShift;
  if (header->first_chunk + 1 >= header->chunk_count) return -EINVAL;
  // The map and links of a region fresh from mmap are zero already; a reused one must be cleared.
  std::memset(static_cast<std::byte*>(base) + header->map_offset, 0, metadata - header->map_offset);
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

SpaceHeap::SpaceHeap(void* base) : header_(static_cast<HeapHeader*>(base)), base_(static_cast<std::byte*>(base)) {}

std::atomic<uint8_t>* SpaceHeap::map() const {
  return reinterpret_cast<std::atomic<uint8_t>*>(base_ + header_->map_offset);
}

std::atomic<uint32_t>* SpaceHeap::links() const {
  return reinterpret_cast<std::atomic<uint32_t>*>(base_ + header_->link_offset);
}

void* SpaceHeap::allocate(uint64_t size) {
  if (size > kMaxSmallBlock) return allocate_large(size);
  const uint32_t index = class_of(size);
  HeapClass& heap_class = header_->classes[index];
  uint64_t head = heap_class.head.load(acquire);
  for (;;) {
    const uint64_t offset = head & kLowMask;
    if (offset == 0) {
      if (!refill(index)) return nullptr;
      head = heap_class.head.load(acquire);
      continue;
    }
    std::byte* block = base_ + (offset << 4);
    if (heap_class.head.compare_exchange_weak(head, next_head(head, racy_link(block)), acquire, acquire)) {
      heap_class.live.fetch_add(1, relaxed);
      return block;
    }
  }
}

int SpaceHeap::free(void* pointer) {
  if (pointer == nullptr) return 0;
  auto* block = static_cast<std::byte*>(pointer);
  if (!contains(block)) return -EINVAL;
  const uint64_t offset = static_cast<uint64_t>(block - base_);
  const uint64_t chunk = offset >> kChunkShift;
  const uint8_t mark = map()[chunk].load(acquire);
  if (mark == 0) return -EINVAL;
  if (mark & kLargeMark) {
    if (offset & (kChunkBytes - 1)) return -EINVAL;
    return free_large(chunk, mark & ~kLargeMark);
  }
  const uint32_t index = mark - 1u;
  if ((offset & (kChunkBytes - 1)) % class_size(index) != 0) return -EINVAL;  // not a block's start

  HeapClass& heap_class = header_->classes[index];
  uint64_t head = heap_class.head.load(relaxed);
  do {
    link_of(block)->store(static_cast<uint32_t>(head & kLowMask), relaxed);
  } while (!heap_class.head.compare_exchange_weak(head, next_head(head, offset >> 4), release, relaxed));
  heap_class.live.fetch_sub(1, relaxed);
  return 0;
}

bool SpaceHeap::refill(uint32_t index) {
  const uint64_t chunk = carve(1);
  if (chunk == 0) return false;
  const uint64_t size = class_size(index);
  const uint64_t count = kChunkBytes / size;
  std::byte* first = base_ + (chunk << kChunkShift);
  // Chain the chunk's blocks privately, then publish the chain with one CAS.
  for (uint64_t i = 0; i + 1 < count; ++i)
    link_of(first + i * size)->store(static_cast<uint32_t>(((chunk << kChunkShift) + (i + 1) * size) >> 4), relaxed);
  std::byte* last = first + (count - 1) * size;
  map()[chunk].store(static_cast<uint8_t>(index + 1), relaxed);  // published by the release CAS below

  HeapClass& heap_class = header_->classes[index];
  uint64_t head = heap_class.head.load(relaxed);
  do {
    link_of(last)->store(static_cast<uint32_t>(head & kLowMask), relaxed);
  } while (!heap_class.head.compare_exchange_weak(head, next_head(head, (chunk << kChunkShift) >> 4), release, relaxed));
  heap_class.chunks.fetch_add(1, relaxed);
  return true;
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

void* SpaceHeap::allocate_large(uint64_t size) {
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
  map()[chunk].store(static_cast<uint8_t>(kLargeMark | order), release);
  header_->large_blocks.fetch_add(1, relaxed);
  header_->large_chunks.fetch_add(int64_t{1} << order, relaxed);
  return base_ + (chunk << kChunkShift);
}

int SpaceHeap::free_large(uint64_t chunk, uint32_t order) {
  uint8_t expected = static_cast<uint8_t>(kLargeMark | order);
  // Clearing the mark first turns a second free of the same run into -EINVAL instead of a
  // corrupted stack.
  if (!map()[chunk].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return -EINVAL;
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

uint64_t SpaceHeap::block_size(const void* pointer) const {
  const auto* block = static_cast<const std::byte*>(pointer);
  if (!contains(block)) return 0;
  const uint64_t offset = static_cast<uint64_t>(block - base_);
  const uint8_t mark = map()[offset >> kChunkShift].load(acquire);
  if (mark == 0) return 0;
  if (mark & kLargeMark) return kChunkBytes << (mark & ~kLargeMark);
  return class_size(mark - 1u);
}

bool SpaceHeap::contains(const void* address) const {
  const auto* byte = static_cast<const std::byte*>(address);
  return byte >= base_ + (header_->first_chunk << kChunkShift) && byte < base_ + (header_->chunk_count << kChunkShift);
}

HeapUsage SpaceHeap::usage() const {
  HeapUsage usage{};
  for (uint32_t index = 0; index < kClassCount; ++index) {
    const int64_t live = header_->classes[index].live.load(relaxed);
    if (live <= 0) continue;  // a free racing ahead of its allocation's count
    usage.blocks_in_use += static_cast<uint64_t>(live);
    usage.bytes_in_use += static_cast<uint64_t>(live) * class_size(index);
  }
  const int64_t large_blocks = header_->large_blocks.load(relaxed);
  const int64_t large_chunks = header_->large_chunks.load(relaxed);
  if (large_blocks > 0) usage.blocks_in_use += static_cast<uint64_t>(large_blocks);
  if (large_chunks > 0) usage.bytes_in_use += static_cast<uint64_t>(large_chunks) << kChunkShift;
  usage.bytes_carved = (header_->top.load(relaxed) - header_->first_chunk) << kChunkShift;
  usage.bytes_reserved = header_->size;
  return usage;
}

}  // namespace tproc::registry
