// SpaceHeap's queries (registry/space_heap_query.cpp): the block at an address with its allocating
// tproc and state, and the walk over live blocks, exact when nobody else allocates and safe when
// others do.

#include "registry/space_heap.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "shared_heap.hpp"
#include "test_space.hpp"
#include "tproc/tproc.h"

using namespace tproc::registry;
using tproc::registry::testing::SharedHeap;
using tproc::registry::testing::TestSpace;

namespace {

/// One live block as the walk reports it.
using Seen = std::tuple<uint64_t, uint64_t, int32_t>;  // begin, size, allocator

std::set<Seen> walk(const SpaceHeap& heap) {
  std::set<Seen> seen;
  const int result = heap.for_each_live(
      [](const HeapBlock& block, void* context) {
        CHECK(block.state == BlockState::live);
        static_cast<std::set<Seen>*>(context)->emplace(block.begin, block.size, block.allocator);
        return 0;
      },
      &seen);
  CHECK(result == 0);
  return seen;
}

uint64_t address(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

}  // namespace

TEST_CASE("find_block names a live block's start, size and allocating tproc from any byte of it") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* cache = heap.claim_cache(4242);
  REQUIRE(cache != nullptr);
  auto* small = static_cast<std::byte*>(heap.allocate(cache, 100));
  auto* large = static_cast<std::byte*>(heap.allocate(cache, 300000));  // a run of 8 chunks
  HeapBlock found{};
  REQUIRE(heap.find_block(small + 111, &found));
  CHECK(found.begin == address(small));
  CHECK(found.size == 112);
  CHECK(found.allocator == 4242);
  CHECK(found.state == BlockState::live);
  CHECK(!found.large);
  REQUIRE(heap.find_block(large + 300000 - 1, &found));
  CHECK(found.begin == address(large));
  CHECK(found.size == 8 * kChunkBytes);
  CHECK(found.allocator == 4242);
  CHECK(found.state == BlockState::live);
  CHECK(found.large);
}

TEST_CASE("find_block tells a freed block, small or large, from a live one, and names no allocator for it") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* owner = heap.claim_cache(4242);
  HeapCache* other = heap.claim_cache(5353);
  auto* kept = static_cast<std::byte*>(heap.allocate(owner, 64));
  auto* freed_here = static_cast<std::byte*>(heap.allocate(owner, 64));
  auto* freed_there = static_cast<std::byte*>(heap.allocate(owner, 64));
  auto* large = static_cast<std::byte*>(heap.allocate(owner, 1 << 20));
  REQUIRE(heap.free(owner, freed_here) == 0);    // onto the page's own list
  REQUIRE(heap.free(other, freed_there) == 0);   // into its remote bitmap
  REQUIRE(heap.free(owner, large) == 0);
  HeapBlock found{};
  REQUIRE(heap.find_block(freed_here + 63, &found));
  CHECK(found.begin == address(freed_here));
  CHECK(found.size == 64);
  CHECK(found.state == BlockState::free);
  CHECK(found.allocator == 0);
  REQUIRE(heap.find_block(freed_there, &found));
  CHECK(found.state == BlockState::free);
  REQUIRE(heap.find_block(large + 12345, &found));
  CHECK(found.begin == address(large));
  CHECK(found.size == 16 * kChunkBytes);
  CHECK(found.state == BlockState::free);
  CHECK(found.large);
  REQUIRE(heap.find_block(kept, &found));
  CHECK(found.state == BlockState::live);
  CHECK(found.allocator == 4242);
  // Never handed out at all: the rest of the page is free too.
  REQUIRE(heap.find_block(kept + 64 * 100, &found));
  CHECK(found.state == BlockState::free);
}

TEST_CASE("find_block says 'not a block' outside the heap, in its metadata, past a run and in a page's slack") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* cache = heap.claim_cache(4242);
  HeapBlock found{};
  int local = 0;
  CHECK(!heap.find_block(&local, &found));
  CHECK(!heap.find_block(nullptr, &found));
  // The first block of a fresh page starts its chunk: 1365 blocks of 48 B, then 16 B left over.
  const auto* chunk = static_cast<std::byte*>(heap.allocate(cache, 48));
  CHECK(!heap.find_block(chunk + kChunkBytes - 8, &found));
  CHECK(heap.find_block(chunk + kChunkBytes - 17, &found));  // the last block's last byte
  CHECK(!heap.find_block(chunk - kChunkBytes, &found));      // the metadata before the first chunk
  auto* large = static_cast<std::byte*>(heap.allocate(cache, 300000));
  CHECK(!heap.find_block(large + 8 * kChunkBytes + 5, &found));  // past the run: nothing carved there
}

TEST_CASE("a page holding another tproc's live blocks is not taken by a third: every block keeps its allocator") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* first = heap.claim_cache(1111);
  void* live = heap.allocate(first, 32);
  void* freed = heap.allocate(first, 32);
  REQUIRE(heap.free(first, freed) == 0);
  heap.release_cache(first);  // its thread ended: its page, one block live, goes to the partial stack
  HeapCache* second = heap.claim_cache(2222);
  void* theirs = heap.allocate(second, 32);
  CHECK(theirs != freed);  // a fresh page, not 1111's
  HeapBlock found{};
  REQUIRE(heap.find_block(live, &found));
  CHECK(found.allocator == 1111);
  REQUIRE(heap.find_block(theirs, &found));
  CHECK(found.allocator == 2222);
  // Its last live block freed, the page is anyone's: the next tproc that needs one takes it.
  REQUIRE(heap.free(second, live) == 0);
  HeapCache* third = heap.claim_cache(3333);
  void* mine = heap.allocate(third, 32);
  CHECK(mine == freed);
  REQUIRE(heap.find_block(mine, &found));
  CHECK(found.allocator == 3333);
}

TEST_CASE("for_each_live reports exactly the live blocks, small and large, of every tproc, with their allocators") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* one = heap.claim_cache(1111);
  HeapCache* two = heap.claim_cache(2222);
  std::set<Seen> expected;
  std::vector<void*> to_free;
  int n = 0;
  for (uint64_t size : {16, 24, 100, 1000, 4096, 32768, 40000, 1 << 20}) {
    for (int i = 0; i < 300 && (size < kMaxSmallBlock || i < 3); ++i, ++n) {
      HeapCache* cache = n % 3 == 0 ? two : one;
      void* block = heap.allocate(cache, size);
      REQUIRE(block != nullptr);
      std::memset(block, 0xee, size);  // user data over every byte, free-list links included
      if (n % 4 == 0)
        to_free.push_back(block);
      else
        expected.emplace(address(block), heap.block_size(block), cache == one ? 1111 : 2222);
    }
  }
  // Half freed by the thread that allocated them, half by the other one (remote frees).
  for (size_t i = 0; i < to_free.size(); ++i) REQUIRE(heap.free(i % 2 ? one : two, to_free[i]) == 0);
  CHECK(walk(heap) == expected);
  CHECK(heap.usage().blocks_in_use == expected.size());

  // A visitor's nonzero result ends the walk and is returned.
  int visited = 0;
  CHECK(heap.for_each_live([](const HeapBlock&, void* count) { return ++*static_cast<int*>(count) == 5 ? 77 : 0; },
                           &visited) == 77);
  CHECK(visited == 5);
}

TEST_CASE("for_each_live while other threads allocate and free: real blocks only, and every block held throughout is reported") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* holder = heap.claim_cache(1111);
  std::set<Seen> held;
  for (uint64_t size : {16, 64, 512, 4096, 100000}) {
    for (int i = 0; i < 50; ++i) {
      void* block = heap.allocate(holder, size);
      held.emplace(address(block), heap.block_size(block), 1111);
    }
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> churners;
  for (int t = 0; t < 3; ++t)
    churners.emplace_back([&heap, &stop, t] {
      HeapCache* cache = heap.claim_cache(2000 + t);
      std::vector<void*> blocks;
      uint64_t seed = 12345 + t;
      while (!stop.load(std::memory_order_relaxed)) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const uint64_t size = 16 + (seed >> 33) % (t == 2 ? 70000 : 2000);
        if (blocks.size() < 400 && (seed >> 20) % 3 != 0) {
          void* block = heap.allocate(cache, size);
          std::memset(block, 0xff, heap.block_size(block));  // links overwritten while a walk may follow them
          blocks.push_back(block);
        } else if (!blocks.empty()) {
          heap.free((seed >> 40) % 2 ? cache : nullptr, blocks.back());
          blocks.pop_back();
        }
      }
      for (void* block : blocks) heap.free(cache, block);
    });
  for (int round = 0; round < 200; ++round) {
    std::set<Seen> seen;
    heap.for_each_live(
        [](const HeapBlock& block, void* context) {
          static_cast<std::set<Seen>*>(context)->emplace(block.begin, block.size, block.allocator);
          return 0;
        },
        &seen);
    for (const Seen& block : held) REQUIRE(seen.count(block) == 1);
    for (const auto& [begin, size, allocator] : seen) {
      HeapBlock found{};
      REQUIRE(heap.find_block(reinterpret_cast<void*>(begin), &found));
      REQUIRE(found.begin == begin);
      REQUIRE(found.size == size);
      REQUIRE((allocator == 1111 || (allocator >= 2000 && allocator < 2003)));
    }
  }
  stop = true;
  for (auto& churner : churners) churner.join();
  CHECK(walk(heap) == held);
}

TEST_CASE("tproc_heap_walk reports the live blocks of every thread with the allocating pid, and refuses what it cannot walk") {
  int visited = 0;
  auto count = [](const tproc_heap_block*, void* counter) { return ++*static_cast<int*>(counter), 0; };
  CHECK(tproc_heap_walk(count, &visited) == -ENOTCONN);  // not in a space
  TestSpace space;
  CHECK(tproc_heap_walk(nullptr, nullptr) == -EINVAL);
  void* small = tproc_heap_alloc(200);
  void* large = tproc_heap_alloc(100000);
  void* other = nullptr;
  std::thread([&] { other = tproc_heap_alloc(24); }).join();  // its thread ended: the block stays live
  void* freed = tproc_heap_alloc(200);
  REQUIRE(tproc_heap_free(freed) == 0);
  std::set<Seen> seen;
  REQUIRE(tproc_heap_walk(
              [](const tproc_heap_block* block, void* context) {
                CHECK(block->large == (block->size > kMaxSmallBlock ? 1u : 0u));
                static_cast<std::set<Seen>*>(context)->emplace(address(block->start), block->size, block->allocator);
                return 0;
              },
              &seen) == 0);
  const int32_t pid = getpid();
  CHECK(seen == std::set<Seen>{{address(small), 224, pid}, {address(large), 2 * kChunkBytes, pid}, {address(other), 32, pid}});
  CHECK(tproc_heap_walk([](const tproc_heap_block*, void*) { return -42; }, nullptr) == -42);
  for (void* block : {small, large, other}) REQUIRE(tproc_heap_free(block) == 0);
  visited = 0;
  CHECK(tproc_heap_walk(count, &visited) == 0);
  CHECK(visited == 0);
}
