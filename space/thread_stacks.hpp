#pragma once
// ThreadStacks: stacks for the mapping server's listener threads, carved from one reserved
// mapping. Threads come and go with tprocs; with stacks of glibc's own, every thread that ever
// ran would leave two mappings in the space (glibc keeps ended threads' stacks mapped for reuse),
// and a space must come back to its baseline after each program (issue 6). A slot is taken
// when a thread starts (it becomes accessible, above a guard page, like a glibc stack: two
// mappings while in use) and given back once that thread has been joined (inaccessible again,
// merged back into the one reserved mapping).

#include <cstddef>
#include <span>
#include <vector>

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::space {

class ThreadStacks {
 public:
  /// Reserves `slots` stacks of `slot_size` bytes (a multiple of the page size) without
  /// committing memory: untouched pages cost nothing.
  static Result<ThreadStacks> reserve(size_t slots, size_t slot_size);

  /// A free stack, or an empty span when all are in use (or it cannot be made accessible).
  std::span<std::byte> take();

  /// Returns a stack whose thread has ended and been joined; its pages go back to the kernel.
  void give_back(std::span<std::byte> stack);

  /// The reserved region every stack is carved from.
  uint64_t begin() const { return region_.begin(); }
  uint64_t end() const { return region_.end(); }

 private:
  Mapping region_;
  size_t slot_size_ = 0;
  std::vector<size_t> free_;  // slot indexes
};

}  // namespace tproc::space
