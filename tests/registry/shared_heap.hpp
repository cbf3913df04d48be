#pragma once
// Test helpers for the space heap: a heap in memory that fork()ed children share, and such a child.

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>

#include "reaped_child.hpp"
#include "registry/space_heap.hpp"

namespace tproc::registry::testing {

/// A heap in MAP_SHARED memory, so fork()ed test processes allocate and free in the same heap at
/// the same address, as tprocs do in their one mm.
class SharedHeap {
 public:
  explicit SharedHeap(uint64_t bytes = uint64_t{64} << 20) : bytes_(bytes) {
    memory_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(memory_ != MAP_FAILED);
    REQUIRE(SpaceHeap::format(memory_, bytes) == 0);
  }
  ~SharedHeap() { munmap(memory_, bytes_); }
  SharedHeap(const SharedHeap&) = delete;
  SharedHeap& operator=(const SharedHeap&) = delete;
  SpaceHeap heap() const { return SpaceHeap(memory_); }

 private:
  void* memory_;
  uint64_t bytes_;
};

/// A forked child running `body`; killed and reaped when the test ends early.
class ForkedChild {
 public:
  template <class Body>
  explicit ForkedChild(Body body) : child_(fork()) {
    REQUIRE(child_.pid() >= 0);
    if (child_.pid() == 0) _exit(body());
  }
  pid_t pid() const { return child_.pid(); }
  int wait() { return child_.wait(); }

 private:
  ReapedChild child_;
};

/// The live blocks the heap counts.
inline uint64_t live_blocks(const SpaceHeap& heap) { return heap.usage().blocks_in_use; }

}  // namespace tproc::registry::testing
