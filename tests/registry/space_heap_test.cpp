// SpaceHeap (registry/space_heap.cpp) directly and through tproc_heap_*.

#include "registry/space_heap.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>
#include <chrono>

#include "shared_heap.hpp"
#include "test_space.hpp"
#include "tproc/tproc.h"

using namespace tproc::registry;
using tproc::registry::testing::ForkedChild;
using tproc::registry::testing::live_blocks;
using tproc::registry::testing::SharedHeap;
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


TEST_CASE("every size class: a thread's blocks are reused from its own page, and usage follows them") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* cache = heap.claim_cache(getpid());
  REQUIRE(cache != nullptr);
  for (uint32_t index = 0; index < kClassCount; ++index) {
    INFO("class " << index << " (" << class_size(index) << " bytes)");
    const uint64_t size = class_size(index);
    std::vector<std::byte*> blocks;
    for (int i = 0; i < 5; ++i) {
      auto* block = static_cast<std::byte*>(heap.allocate(cache, size));
      REQUIRE(block != nullptr);
      CHECK(heap.block_size(block) == size);
      std::memset(block, i, size);
      blocks.push_back(block);
    }
    CHECK(live_blocks(heap) == 5);
    for (std::byte* block : blocks) REQUIRE(heap.free(cache, block) == 0);
    CHECK(live_blocks(heap) == 0);
    CHECK(heap.allocate(cache, size) == blocks.back());  // the last freed, from the same page
    REQUIRE(heap.free(cache, blocks.back()) == 0);
  }
}

TEST_CASE("blocks freed by another thread go back to their page and are reused before the heap grows") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  HeapCache* owner = heap.claim_cache(getpid());
  HeapCache* other = heap.claim_cache(getpid());
  REQUIRE(owner != nullptr);
  REQUIRE(other != nullptr);
  REQUIRE(owner != other);
  std::vector<void*> blocks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(heap.allocate(owner, 64));  // ~20 pages
  const uint64_t carved = heap.usage().bytes_carved;
  std::thread freer([&] {
    for (void* block : blocks) REQUIRE(heap.free(other, block) == 0);
  });
  freer.join();
  CHECK(live_blocks(heap) == 0);
  std::set<void*> again;
  for (int i = 0; i < 20000; ++i) again.insert(heap.allocate(owner, 64));
  CHECK(again.size() == 20000);
  CHECK(heap.usage().bytes_carved == carved);  // all from the pages the other thread freed into
  for (void* block : again) REQUIRE(heap.free(nullptr, block) == 0);  // cacheless frees too
  CHECK(live_blocks(heap) == 0);
}

TEST_CASE("processes allocating and freeing each other's blocks in one heap lose and duplicate nothing") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  // Each child allocates stamped blocks of every size 16 B - 4 KiB into a shared mailbox; the next
  // child frees them (remote frees between processes), checking the stamps.
  constexpr int kChildren = 3, kRounds = 200, kPerRound = 64;
  struct Mailbox {
    std::atomic<uint64_t*> slots[kChildren][kPerRound];
  };
  void* memory = mmap(nullptr, sizeof(Mailbox), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  auto* mailbox = new (memory) Mailbox{};
  std::vector<std::unique_ptr<ForkedChild>> children;
  for (int c = 0; c < kChildren; ++c)
    children.push_back(std::make_unique<ForkedChild>([&, c] {
      HeapCache* cache = heap.claim_cache(getpid());
      if (cache == nullptr) return 10;
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerRound; ++i) {
          const size_t size = 16u << ((round + i) % 9);
          auto* block = static_cast<uint64_t*>(heap.allocate(cache, size));
          if (block == nullptr) return 11;
          block[0] = size;
          block[size / 8 - 1] = ~size;
          while (mailbox->slots[c][i].load() != nullptr) sched_yield();
          mailbox->slots[c][i].store(block);
        }
        const int from = (c + 1) % kChildren;
        for (int i = 0; i < kPerRound; ++i) {
          uint64_t* block = nullptr;
          while ((block = mailbox->slots[from][i].exchange(nullptr)) == nullptr) sched_yield();
          if (block[block[0] / 8 - 1] != ~block[0]) return 12;
          if (heap.free(cache, block) != 0) return 13;
        }
      }
      return 0;
    }));
  for (auto& child : children) {
    const int status = child->wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(live_blocks(heap) == 0);
  munmap(memory, sizeof(Mailbox));
}

TEST_CASE("a tproc killed with pages in its cache: its blocks keep their allocator, its pages are reused once their live blocks are freed") {
  SharedHeap shared;
  SpaceHeap heap = shared.heap();
  struct Report {
    std::atomic<int> ready{0};
    void* kept[100];
  };
  void* memory = mmap(nullptr, sizeof(Report), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  auto* report = new (memory) Report{};
  ForkedChild child([&] {
    HeapCache* cache = heap.claim_cache(getpid());
    if (cache == nullptr) return 10;
    // 1000 blocks of 256 B on 4 pages; 100 stay live, the rest are freed into the cache's pages.
    void* blocks[1000];
    for (auto& block : blocks) std::memset(block = heap.allocate(cache, 256), 0x5a, 256);
    for (int i = 0; i < 1000; ++i)
      if (i % 10 == 0)
        report->kept[i / 10] = blocks[i];
      else
        heap.free(cache, blocks[i]);
    report->ready = 1;
    for (;;) pause();  // until killed, owning its pages
  });
  while (report->ready.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const pid_t pid = child.pid();
  kill(pid, SIGKILL);
  child.wait();
  CHECK(live_blocks(heap) == 100);
  CHECK(heap.release_owner(pid) == 1);  // what the daemon does once it has reaped the tproc
  CHECK(heap.release_owner(pid) == 0);

  // Its pages hold its live blocks: another tproc does not take them, so every block still names
  // the dead tproc as its allocator.
  HeapCache* cache = heap.claim_cache(getpid());
  REQUIRE(cache != nullptr);
  const uint64_t carved = heap.usage().bytes_carved;
  std::vector<void*> mine;
  for (int i = 0; i < 900; ++i) mine.push_back(heap.allocate(cache, 256));
  CHECK(heap.usage().bytes_carved > carved);
  for (void* block : report->kept) {
    CHECK(static_cast<unsigned char*>(block)[255] == 0x5a);  // never handed out again
    HeapBlock found{};
    REQUIRE(heap.find_block(block, &found));
    CHECK(found.allocator == pid);
  }
  // Freed, they leave its pages empty, and those are reused before the heap grows again.
  for (void* block : report->kept) REQUIRE(heap.free(cache, block) == 0);
  const uint64_t grown = heap.usage().bytes_carved;
  for (int i = 0; i < 3000; ++i) mine.push_back(heap.allocate(cache, 256));
  // 3000 blocks: 124 still free on our last page, 1024 on its 4 pages, the rest on 8 fresh ones.
  CHECK(heap.usage().bytes_carved - grown == 8 * kChunkBytes);
  for (void* block : mine) {
    HeapBlock found{};
    REQUIRE(heap.find_block(block, &found));
    CHECK(found.allocator == getpid());
    REQUIRE(heap.free(cache, block) == 0);
  }
  CHECK(live_blocks(heap) == 0);
  munmap(memory, sizeof(Report));
}

TEST_CASE("a thread that ends gives its cache slot back, and a full cache table still serves large blocks") {
  TestSpace space;
  for (int i = 0; i < 50; ++i) {
    std::thread worker([] { REQUIRE(tproc_heap_free(tproc_heap_alloc(64)) == 0); });
    worker.join();
  }
  const auto* header = static_cast<const HeapHeader*>(space.heap_base());
  CHECK(header->caches_used.load() <= 2);  // the main thread's (maybe) and one reused 50 times

  constexpr uint64_t kBytes = 32 * kChunkBytes;  // 4 cache slots
  SharedHeap small_heap(kBytes);
  SpaceHeap heap = small_heap.heap();
  std::vector<HeapCache*> caches;
  while (HeapCache* cache = heap.claim_cache(7)) caches.push_back(cache);
  CHECK(errno == EAGAIN);
  CHECK(caches.size() == 4);
  void* fallback = heap.allocate(nullptr, 16);  // no cache: a whole chunk, but memory
  REQUIRE(fallback != nullptr);
  CHECK(heap.free(nullptr, fallback) == 0);
  CHECK(heap.release_owner(7) == 4);
  CHECK(heap.claim_cache(8) != nullptr);
}
