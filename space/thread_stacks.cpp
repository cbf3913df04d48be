#include "space/thread_stacks.hpp"

#include <sys/mman.h>

namespace tproc::space {

Result<ThreadStacks> ThreadStacks::reserve(size_t slots, size_t slot_size) {
  void* region = ::mmap(nullptr, slots * slot_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
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
  const size_t slot = free_.back();
  free_.pop_back();
  return {region_.bytes() + slot * slot_size_, slot_size_};
}

void ThreadStacks::give_back(std::span<std::byte> stack) {
  // Drops the pages without splitting the mapping (an munmap or mprotect would add mappings).
  ::madvise(stack.data(), stack.size(), MADV_DONTNEED);
  free_.push_back(static_cast<size_t>(stack.data() - region_.bytes()) / slot_size_);
}

}  // namespace tproc::space
