// SpaceHeap's read-only queries: which block holds an address, the live blocks, the usage counts.
//
// They run in any tproc (or the daemon) while the owners of pages keep allocating, so every read
// of another thread's state is a relaxed atomic load, and nothing read is trusted: a free list is
// followed only while its links name blocks of the same page, each block at most once, so a list
// rewritten under the walk (a block handed out and overwritten by its user) ends the walk early
// instead of sending it elsewhere. What is live is what is neither on one of a page's free lists nor
// in its remote bitmap: no per-block state is kept, so the allocation and free fast paths pay nothing for
// these queries.

#include "registry/space_heap.hpp"

namespace tproc::registry {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto acquire = std::memory_order_acquire;
constexpr uint64_t kLowMask = 0xffffffffULL;
/// Blocks a page holds at most (the 16-byte class), and the words of a bitmap with a bit for each.
constexpr uint64_t kMaxPageBlocks = kChunkBytes / 16;
constexpr uint64_t kBitmapWords = kMaxPageBlocks / 64;

/// A relaxed load of a word another thread writes with plain stores.
uint32_t load_word(const uint32_t* word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }

bool test_bit(const uint64_t* bits, uint64_t i) { return (bits[i / 64] >> (i % 64)) & 1u; }

/// A run's first chunk's map byte: a live or freed large run.
bool is_run_mark(uint8_t mark) { return (mark & (kLargeMark | kFreeRunMark)) != 0; }

}  // namespace

void SpaceHeap::mark_free_blocks(uint64_t chunk, uint32_t index, uint64_t* bits) const {
  const uint64_t size = class_size(index);
  const uint64_t count = kChunkBytes / size;
  const HeapPage& page = pages()[chunk];
  auto follow = [&](uint32_t head) {
    for (uint64_t steps = 0; head != 0 && steps < count; ++steps) {
      const uint64_t offset = uint64_t{head} << 4;
      if (offset >> kChunkShift != chunk) return;  // not this page's: the list changed under us
      const uint64_t within = offset & (kChunkBytes - 1);
      const uint64_t block = (within * class_reciprocal(index)) >> 32;
      if (block * size != within || block >= count || test_bit(bits, block)) return;
      bits[block / 64] |= uint64_t{1} << (block % 64);
      head = load_word(reinterpret_cast<const uint32_t*>(base_ + offset));
    }
  };
  follow(load_word(&page.local));
  follow(static_cast<uint32_t>(page.remote.load(acquire) & kLowMask));
  // Then the blocks other threads freed, in the page's remote bitmap (bits past the last block
  // are never set; masked all the same, as the walk trusts nothing it reads).
  const HeapRemoteBits& remote = remote_bits()[chunk];
  for (uint64_t word = 0; word * 64 < count; ++word) {
    uint64_t freed = remote.words[word].load(acquire);
    if (count - word * 64 < 64) freed &= (uint64_t{1} << (count - word * 64)) - 1;
    bits[word] |= freed;
  }
}

bool SpaceHeap::find_block(const void* address, HeapBlock* block) const {
  if (!contains(address)) return false;
  const uint64_t offset = static_cast<uint64_t>(static_cast<const std::byte*>(address) - base_);
  uint64_t chunk = offset >> kChunkShift;
  uint8_t mark = map()[chunk].load(acquire);
  if (mark != 0 && mark <= kClassCount) {
    const uint32_t index = mark - 1u;
    const uint64_t size = class_size(index);
    const uint64_t within = offset & (kChunkBytes - 1);
    const uint64_t number = (within * class_reciprocal(index)) >> 32;
    if ((number + 1) * size > kChunkBytes) return false;  // the slack after a chunk's last block
    uint64_t free_bits[kBitmapWords] = {};
    mark_free_blocks(chunk, index, free_bits);
    const bool free = test_bit(free_bits, number);
    *block = HeapBlock{reinterpret_cast<uintptr_t>(base_) + (chunk << kChunkShift) + number * size, size,
                       free ? 0 : pages()[chunk].pid.load(relaxed), free ? BlockState::free : BlockState::live,
                       false};
    return true;
  }
  // Inside a run only its first chunk is marked: look back for it, as far as a run reaches.
  for (uint64_t back = 0; mark == 0; ++back) {
    if (back + 1 >= (uint64_t{1} << (kLargeOrders - 1)) || chunk <= header_->first_chunk) return false;
    mark = map()[--chunk].load(acquire);
  }
  if (!is_run_mark(mark)) return false;
  const uint64_t run = uint64_t{1} << (mark & kOrderMask);
  if (chunk + run <= offset >> kChunkShift) return false;  // past the end of that run
  const bool free = (mark & kLargeMark) == 0;
  *block = HeapBlock{reinterpret_cast<uintptr_t>(base_) + (chunk << kChunkShift), run << kChunkShift,
                     free ? 0 : pages()[chunk].pid.load(relaxed), free ? BlockState::free : BlockState::live, true};
  return true;
}

int SpaceHeap::visit_page(uint64_t chunk, uint32_t index, LiveBlockVisitor visit, void* context) const {
  const uint64_t size = class_size(index);
  const uint64_t count = kChunkBytes / size;
  uint64_t free_bits[kBitmapWords] = {};
  mark_free_blocks(chunk, index, free_bits);
  const int32_t pid = pages()[chunk].pid.load(relaxed);
  const uint64_t first = reinterpret_cast<uintptr_t>(base_) + (chunk << kChunkShift);
  for (uint64_t number = 0; number < count; ++number) {
    if (test_bit(free_bits, number)) continue;
    if (const int stop = visit(HeapBlock{first + number * size, size, pid, BlockState::live, false}, context))
      return stop;
  }
  return 0;
}

int SpaceHeap::for_each_live(LiveBlockVisitor visit, void* context) const {
  const uint64_t top = header_->top.load(acquire);
  for (uint64_t chunk = header_->first_chunk; chunk < top && chunk < header_->chunk_count;) {
    const uint8_t mark = map()[chunk].load(acquire);
    if (mark != 0 && mark <= kClassCount) {
      if (const int stop = visit_page(chunk, mark - 1u, visit, context)) return stop;
      ++chunk;
    } else if (is_run_mark(mark)) {
      const uint64_t run = uint64_t{1} << (mark & kOrderMask);
      if (mark & kLargeMark) {
        const HeapBlock block{reinterpret_cast<uintptr_t>(base_) + (chunk << kChunkShift), run << kChunkShift,
                              pages()[chunk].pid.load(relaxed), BlockState::live, true};
        if (const int stop = visit(block, context)) return stop;
      }
      chunk += run;
    } else {
      ++chunk;  // carved this moment, its mark not yet written
    }
  }
  return 0;
}

uint64_t SpaceHeap::block_size(const void* pointer) const {
  HeapBlock block{};
  if (!find_block(pointer, &block) || block.begin != reinterpret_cast<uintptr_t>(pointer)) return 0;
  return block.size;
}

HeapUsage SpaceHeap::usage() const {
  int64_t live[kClassCount];
  for (uint32_t index = 0; index < kClassCount; ++index) live[index] = header_->classes[index].retired.load(relaxed);
  const HeapCache* table = caches();
  const uint32_t used = header_->caches_used.load(acquire);
  for (uint32_t slot = 0; slot < used; ++slot) {
    if (table[slot].pid.load(acquire) == 0) continue;  // released: its counts are in `retired`
    for (uint32_t index = 0; index < kClassCount; ++index) live[index] += table[slot].live[index].load(relaxed);
  }
  HeapUsage usage{};
  for (uint32_t index = 0; index < kClassCount; ++index) {
    if (live[index] <= 0) continue;  // a free counted before its allocation
    usage.blocks_in_use += static_cast<uint64_t>(live[index]);
    usage.bytes_in_use += static_cast<uint64_t>(live[index]) * class_size(index);
  }
  const int64_t large_blocks = header_->large_blocks.load(relaxed);
  const int64_t large_chunks = header_->large_chunks.load(relaxed);
  if (large_blocks > 0) usage.blocks_in_use += static_cast<uint64_t>(large_blocks);
  if (large_chunks > 0) usage.bytes_in_use += static_cast<uint64_t>(large_chunks) << kChunkShift;
  usage.bytes_reserved = header_->size;
  usage.bytes_carved = (header_->top.load(relaxed) - header_->first_chunk) << kChunkShift;
  return usage;
}

}  // namespace tproc::registry
