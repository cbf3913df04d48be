// SpaceHeap (registry/space_heap.cpp) directly and through tproc_heap_*.

#include "registry/space_heap.hpp"

#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "test_space.hpp"
#include "tproc/tproc.h"

using namespace tproc::registry;
using tproc::registry::testing::TestSpace;

namespace {

tproc_heap_stats usage_now() {
  tproc_heap_stats usage{};
  REQUIRE(tproc_heap_usage(&usage) == 0);
  return usage;
}

}  // namespace

TEST_CASE("size classes: the smallest class that fits, at most 25% larger, for every size to 32 KiB") {
  for (uint64_t size = 1; size <= kMaxSmallBlock; ++size) {
    const uint32_t index = class_of(size);
    REQUIRE(index < kClassCount);
    REQUIRE(class_size(index) >= size);
    if (index > 0) REQUIRE(class_size(index - 1) < size);
    REQUIRE(class_size(index) <= size + size / 4 + 16);
  }
  CHECK(class_of(0) == 0);
  CHECK(class_size(0) == 16);
}

TEST_CASE("blocks of every small size are 16-byte aligned, distinct, writable and report their size") {
  TestSpace space;
  std::vector<std::pair<char*, size_t>> blocks;
  for (size_t size = 1; size <= 40000; size = size * 5 / 4 + 1) {
    auto* block = static_cast<char*>(tproc_heap_alloc(size));
    REQUIRE(block != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(block) % 16 == 0);
    CHECK(tproc_heap_block_size(block) >= size);
    std::memset(block, static_cast<int>(size & 0xff), size);
    blocks.emplace_back(block, size);
  }
  for (auto& [block, size] : blocks) {
    for (size_t i = 0; i < size; ++i) REQUIRE(block[i] == static_cast<char>(size & 0xff));
    REQUIRE(tproc_heap_free(block) == 0);
  }
  CHECK(usage_now().blocks_in_use == 0);
  CHECK(usage_now().bytes_in_use == 0);
}

TEST_CASE("usage counts live blocks by their class size and returns to zero when they are freed") {
  TestSpace space;
  const tproc_heap_stats empty = usage_now();
  CHECK(empty.blocks_in_use == 0);
  CHECK(empty.bytes_reserved == uint64_t{1} << 30);
  void* a = tproc_heap_alloc(100);  // class 112
  void* b = tproc_heap_alloc(4096);
  void* c = tproc_heap_alloc(100000);  // a large run of 2 chunks
  const tproc_heap_stats used = usage_now();
  CHECK(used.blocks_in_use == 3);
  CHECK(used.bytes_in_use == 112 + 4096 + 2 * kChunkBytes);
  CHECK(used.bytes_carved >= used.bytes_in_use);
  for (void* block : {a, b, c}) REQUIRE(tproc_heap_free(block) == 0);
  CHECK(usage_now().blocks_in_use == 0);
  CHECK(usage_now().bytes_in_use == 0);
}

TEST_CASE("a freed block is reused before the heap grows") {
  TestSpace space;
  void* first = tproc_heap_alloc(48);
  REQUIRE(tproc_heap_free(first) == 0);
  CHECK(tproc_heap_alloc(48) == first);
  const uint64_t carved = usage_now().bytes_carved;
  for (int i = 0; i < 100; ++i) REQUIRE(tproc_heap_free(tproc_heap_alloc(48)) == 0);
  CHECK(usage_now().bytes_carved == carved);
}

TEST_CASE("a 64 MiB block is a chunk-aligned run, given back on free and reused") {
  TestSpace space;
  auto* big = static_cast<char*>(tproc_heap_alloc(64 << 20));
  REQUIRE(big != nullptr);
  CHECK((reinterpret_cast<uintptr_t>(big) - reinterpret_cast<uintptr_t>(space.heap_base())) % kChunkBytes == 0);
  CHECK(tproc_heap_block_size(big) == 64u << 20);
  big[0] = 1;
  big[(64 << 20) - 1] = 2;
  REQUIRE(tproc_heap_free(big) == 0);
  auto* again = static_cast<char*>(tproc_heap_alloc(40 << 20));  // same order: 64 MiB
  CHECK(again == big);
  CHECK(again[0] == 0);  // MADV_DONTNEED gave the pages back: they read as zero
  REQUIRE(tproc_heap_free(again) == 0);
}

TEST_CASE("freeing what is not a heap block fails with EINVAL") {
  TestSpace space;
  int local = 0;
  CHECK(tproc_heap_free(&local) == -EINVAL);
  CHECK(tproc_heap_free(nullptr) == 0);
  auto* block = static_cast<char*>(tproc_heap_alloc(64));
  CHECK(tproc_heap_free(block + 16) == -EINVAL);  // inside a block
  CHECK(tproc_heap_block_size(&local) == 0);
  REQUIRE(tproc_heap_free(block) == 0);
  void* large = tproc_heap_alloc(1 << 20);
  REQUIRE(tproc_heap_free(large) == 0);
  CHECK(tproc_heap_free(large) == -EINVAL);  // a second free of a large block is caught
  CHECK(usage_now().blocks_in_use == 0);
}

TEST_CASE("an exhausted heap returns null with ENOMEM, and recovers after frees") {
  constexpr uint64_t kBytes = 4 << 20;
  void* memory = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  REQUIRE(SpaceHeap::format(memory, kBytes) == 0);
  SpaceHeap heap(memory);
  HeapCache* cache = heap.claim_cache(getpid());
  REQUIRE(cache != nullptr);
  std::vector<void*> blocks;
  while (void* block = heap.allocate(cache, 20000)) blocks.push_back(block);
  CHECK(errno == ENOMEM);
  CHECK(blocks.size() > 100);
  CHECK(heap.allocate(cache, 1 << 20) == nullptr);
  for (void* block : blocks) REQUIRE(heap.free(cache, block) == 0);
  CHECK(heap.allocate(cache, 20000) != nullptr);
  CHECK(SpaceHeap::format(memory, 1024) == -EINVAL);
  munmap(memory, kBytes);
}

TEST_CASE("threads freeing each other's blocks lose and duplicate nothing, and usage returns to zero") {
  TestSpace space;
  // Producers allocate blocks of mixed sizes and stamp them; consumers check the stamp and free.
  // A block handed out twice at once would carry a foreign stamp.
  constexpr int kProducers = 3, kConsumers = 3, kBlocks = 60000;
  std::mutex mutex;
  std::vector<std::pair<uint64_t*, uint64_t>> handed;
  std::atomic<int> produced{0}, consumed{0}, corrupt{0}, failed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < kBlocks; ++i) {
        const size_t size = 16u << ((i + p) % 9);  // 16 B .. 4 KiB
        auto* block = static_cast<uint64_t*>(tproc_heap_alloc(size));
        if (block == nullptr) {
          failed++;
          continue;
        }
        const uint64_t stamp = (uint64_t(p) << 32) | uint64_t(i);
        block[0] = stamp;
        block[size / 8 - 1] = ~stamp;
        std::lock_guard<std::mutex> lock(mutex);
        handed.emplace_back(block, size);
        produced++;
      }
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&] {
      for (;;) {
        std::pair<uint64_t*, uint64_t> item{nullptr, 0};
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (!handed.empty()) {
            item = handed.back();
            handed.pop_back();
          }
        }
        if (item.first == nullptr) {
          if (consumed.load() + failed.load() == kProducers * kBlocks) return;
          std::this_thread::yield();
          continue;
        }
        if (item.first[item.second / 8 - 1] != ~item.first[0]) corrupt++;
        if (tproc_heap_free(item.first) != 0) corrupt++;
        consumed++;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(failed == 0);
  CHECK(corrupt == 0);
  CHECK(consumed == kProducers * kBlocks);
  CHECK(usage_now().blocks_in_use == 0);
  CHECK(usage_now().bytes_in_use == 0);
}

TEST_CASE("threads hammering one size class never get the same block twice") {
  TestSpace space;
  constexpr int kThreads = 4, kRounds = 20000;
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      void* mine[8];
      for (int round = 0; round < kRounds; ++round) {
        for (auto& block : mine) {
          block = tproc_heap_alloc(32);
          static_cast<std::atomic<int>*>(block)->store(t);
        }
        for (auto* block : mine) {
          if (static_cast<std::atomic<int>*>(block)->load() != t) duplicates++;
          tproc_heap_free(block);
        }
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(duplicates == 0);
  CHECK(usage_now().blocks_in_use == 0);
}
