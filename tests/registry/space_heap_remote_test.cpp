// The space heap's cross-thread frees (registry/space_heap.cpp, free_remote and take_remote): a
// block freed by a thread that does not own its page sets the block's bit in the page's remote
// bitmap, never touching the block, and the owner takes the bits back when its own list runs dry.

#include "registry/space_heap.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "shared_heap.hpp"

using namespace tproc::registry;
using tproc::registry::testing::ForkedChild;
using tproc::registry::testing::live_blocks;
using tproc::registry::testing::SharedHeap;

namespace {

/// The live blocks for_each_live reports, with the tproc that allocated each.
std::set<std::pair<uint64_t, int32_t>> walk_live(const SpaceHeap& heap) {
  std::set<std::pair<uint64_t, int32_t>> seen;
  REQUIRE(heap.for_each_live(
              [](const HeapBlock& block, void* context) {
                static_cast<std::set<std::pair<uint64_t, int32_t>>*>(context)->emplace(block.begin, block.allocator);
                return 0;
              },
              &seen) == 0);
  return seen;
}

uint64_t address(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

}  // namespace

TEST_CASE("a block another thread frees keeps its bytes, and its owner hands it out again once its page runs dry") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* owner = heap.claim_cache(getpid());
  HeapCache* other = heap.claim_cache(getpid());
  REQUIRE(owner != nullptr);
  REQUIRE(other != nullptr);
  // 16 blocks of 4 KiB fill one fresh page exactly.
  std::vector<unsigned char*> page;
  for (int i = 0; i < 16; ++i) {
    page.push_back(static_cast<unsigned char*>(heap.allocate(owner, 4096)));
    REQUIRE(page.back() != nullptr);
    std::memset(page.back(), 0xa0 + i, 4096);
  }
  const uint64_t carved = heap.usage().bytes_carved;
  std::thread freer([&] { REQUIRE(heap.free(other, page[5]) == 0); });
  freer.join();
  // The freer wrote nothing into the block: its line never had to leave the owner's cache.
  for (int byte = 0; byte < 4096; ++byte) REQUIRE(page[5][byte] == 0xa5);
  HeapBlock found{};
  REQUIRE(heap.find_block(page[5], &found));
  CHECK(found.state == BlockState::free);
  CHECK(live_blocks(heap) == 15);
  CHECK(heap.allocate(owner, 4096) == page[5]);
  CHECK(heap.usage().bytes_carved == carved);
  for (unsigned char* block : page) REQUIRE(heap.free(owner, block) == 0);
  CHECK(live_blocks(heap) == 0);
}

TEST_CASE("a second free of a block another thread freed is refused and changes no count") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* owner = heap.claim_cache(getpid());
  HeapCache* other = heap.claim_cache(getpid());
  void* kept = heap.allocate(owner, 48);
  void* block = heap.allocate(owner, 48);
  REQUIRE(heap.free(other, block) == 0);
  CHECK(heap.free(other, block) == -EINVAL);
  CHECK(heap.free(nullptr, block) == -EINVAL);
  CHECK(live_blocks(heap) == 1);
  REQUIRE(heap.free(owner, kept) == 0);
  CHECK(live_blocks(heap) == 0);
}

TEST_CASE("eight threads freeing the blocks of one page at once, into the same bitmap words, lose and duplicate nothing") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* owner = heap.claim_cache(getpid());
  REQUIRE(owner != nullptr);
  // 4096 blocks of 16 B: one whole page, every word of its bitmap.
  std::vector<void*> blocks;
  for (int i = 0; i < 4096; ++i) blocks.push_back(heap.allocate(owner, 16));
  const std::set<void*> handed(blocks.begin(), blocks.end());
  REQUIRE(handed.size() == 4096);
  const uint64_t carved = heap.usage().bytes_carved;
  constexpr int kThreads = 8;
  std::atomic<int> waiting{kThreads}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Half the threads with a cache of their own, half without (the cacheless path).
      HeapCache* cache = t % 2 == 0 ? heap.claim_cache(getpid()) : nullptr;
      if (t % 2 == 0 && cache == nullptr) failed++;
      waiting--;
      while (waiting.load() != 0) std::this_thread::yield();
      // Interleaved: neighbouring blocks, the same words, freed by different threads at once.
      for (size_t i = t; i < blocks.size(); i += kThreads)
        if (heap.free(cache, blocks[i]) != 0) failed++;
      if (cache != nullptr) heap.release_cache(cache);
    });
  for (auto& thread : threads) thread.join();
  CHECK(failed == 0);
  CHECK(live_blocks(heap) == 0);
  CHECK(walk_live(heap).empty());
  std::set<void*> again;
  for (int i = 0; i < 4096; ++i) again.insert(heap.allocate(owner, 16));
  CHECK(again == handed);                           // each block back exactly once
  CHECK(heap.usage().bytes_carved == carved);       // from the page they were freed into
  for (void* block : again) REQUIRE(heap.free(owner, block) == 0);
  CHECK(live_blocks(heap) == 0);
}

TEST_CASE("a tproc that exits with remote frees pending on its pages loses nothing and leaves nothing counted live") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  constexpr int kBlocks = 3000;  // 64 B: two full pages and most of a third
  struct Report {
    std::atomic<int> ready{0};
    void* blocks[kBlocks];
  };
  void* memory = mmap(nullptr, sizeof(Report), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  auto* report = new (memory) Report{};
  ForkedChild child([&] {
    HeapCache* cache = heap.claim_cache(getpid());
    if (cache == nullptr) return 10;
    for (auto& block : report->blocks)
      if ((block = heap.allocate(cache, 64)) == nullptr) return 11;
    report->ready = 1;
    for (;;) pause();  // owning its pages, never taking back what others free on them
  });
  while (report->ready.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const pid_t pid = child.pid();
  HeapCache* cache = heap.claim_cache(getpid());
  REQUIRE(cache != nullptr);
  // Two thirds freed from here while the child owns the pages: pending in their bitmaps.
  for (int i = 0; i < kBlocks; ++i)
    if (i % 3 != 0) REQUIRE(heap.free(cache, report->blocks[i]) == 0);
  CHECK(live_blocks(heap) == kBlocks / 3);
  kill(pid, SIGKILL);
  child.wait();
  CHECK(heap.release_owner(pid) == 1);  // what the daemon does once it has reaped the tproc

  // The leak checks see exactly the blocks still live, each naming the dead tproc.
  std::set<std::pair<uint64_t, int32_t>> expected;
  for (int i = 0; i < kBlocks; i += 3) expected.emplace(address(report->blocks[i]), pid);
  CHECK(walk_live(heap) == expected);
  CHECK(live_blocks(heap) == kBlocks / 3);
  for (int i = 0; i < kBlocks; i += 3) REQUIRE(heap.free(cache, report->blocks[i]) == 0);
  CHECK(live_blocks(heap) == 0);
  CHECK(walk_live(heap).empty());

  // Every block of its three pages comes back, the pending ones included, before the heap grows.
  const uint64_t carved = heap.usage().bytes_carved;
  std::set<void*> again;
  for (int i = 0; i < 3 * 1024; ++i) again.insert(heap.allocate(cache, 64));
  CHECK(again.size() == 3 * 1024);
  CHECK(heap.usage().bytes_carved == carved);
  for (void* block : report->blocks) CHECK(again.count(block) == 1);
  for (void* block : again) {
    HeapBlock found{};
    REQUIRE(heap.find_block(block, &found));
    CHECK(found.allocator == getpid());
    REQUIRE(heap.free(cache, block) == 0);
  }
  CHECK(live_blocks(heap) == 0);
  munmap(memory, sizeof(Report));
}
