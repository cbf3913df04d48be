#include "space/program_break.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace tproc::space {
namespace {

uint64_t page_up(uint64_t value) {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (value + page - 1) & ~(page - 1);
}

}  // namespace

long ProgramBreak::move(uint64_t requested, AddressLedger& ledger, uint64_t owner,
                        const std::function<bool(uint64_t)>& may_grow) {
  if (begin_ == 0) {
    void* window = ::mmap(nullptr, kWindowBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (window == MAP_FAILED) return -ENOMEM;
    begin_ = current_ = reinterpret_cast<uint64_t>(window);
    end_ = begin_ + kWindowBytes;
    ledger.assign(begin_, end_, owner);
  }
  // brk(0) and anything outside the window only ask where the break is.
  if (requested < begin_ || requested > end_) return static_cast<long>(current_);
  const uint64_t old_top = page_up(current_), new_top = page_up(requested);
  if (new_top > old_top) {
    if (!ledger.holds(old_top, new_top, owner) || !may_grow(new_top - old_top)) return static_cast<long>(current_);
    if (::mprotect(reinterpret_cast<void*>(old_top), new_top - old_top, PROT_READ | PROT_WRITE) < 0)
      return static_cast<long>(current_);
  } else if (new_top < old_top) {
    if (!ledger.holds(new_top, old_top, owner)) return static_cast<long>(current_);
    // Mapped afresh: the pages go back to the kernel, and come back zeroed if the break grows again.
    if (::mmap(reinterpret_cast<void*>(new_top), old_top - new_top, PROT_NONE,
               MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
      return static_cast<long>(current_);
  }
  current_ = requested;
  return static_cast<long>(current_);
}

uint64_t ProgramBreak::reserved_unused() const { return begin_ == 0 ? 0 : end_ - page_up(current_); }

}  // namespace tproc::space
