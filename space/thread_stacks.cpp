#include "space/thread_stacks.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace tproc::space {

Result<ThreadStacks> ThreadStacks::reserve(size_t slots, size_t slot_size) {
  // All inaccessible until taken: a free slot is the guard page below its neighbour's stack.
  void* region = ::mmap(nullptr, slots * slot_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (region == MAP_FAILED) return Error::from_errno("reserve listener thread stacks");
  ThreadStacks stacks;
  stacks.region_ = Mapping(region, slots * slot_size);
  stacks.slot_size_ = slot_size;
  // Handed out from the low end first (the vector's back), so a quiet space touches few slots.
  for (size_t slot = slots; slot-- > 0;) stacks.free_.push_back(slot);
  return stacks;
}

std::span<std::byte> ThreadStacks::take() {
  if (free_.empty()) return {};
  // The slot's lowest page stays inaccessible: a stack that overflows faults there instead of
  // writing over the next stack down.
  const size_t guard = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::byte* stack = region_.bytes() + free_.back() * slot_size_ + guard;
  if (::mprotect(stack, slot_size_ - guard, PROT_READ | PROT_WRITE) < 0) return {};
  free_.pop_back();
  return {stack, slot_size_ - guard};
}

void ThreadStacks::give_back(std::span<std::byte> stack) {
  // Drops the pages, and makes the slot inaccessible again, which merges it back into the region:
  // a space whose threads have ended holds one mapping for all their stacks.
  ::madvise(stack.data(), stack.size(), MADV_DONTNEED);
  ::mprotect(stack.data(), stack.size(), PROT_NONE);
  free_.push_back(static_cast<size_t>(stack.data() - region_.bytes()) / slot_size_);
}

}  // namespace tproc::space
