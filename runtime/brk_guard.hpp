#pragma once
// BrkGuard: keeps the program break of the space where it is.
//
// Every tproc shares the daemon's mm and so its one program break. Two libcs moving one break
// corrupt each other's heaps. A PROT_NONE mapping right at the break makes every brk() that would
// grow it fail, and glibc and musl then fall back to mmap'd heaps at native speed (DESIGN.md,
// "brk and malloc"). The daemon's own malloc must not shrink the break either (a gap below the
// guard would be handed out again), so placing the guard also turns off trimming of the main heap.

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::runtime {

/// The mapping that pins the program break; the break is free to move again once it is destroyed.
class BrkGuard {
 public:
  /// Places the guard at the current (page-aligned) break.
  static Result<BrkGuard> place();
  uintptr_t address() const { return guard_.begin(); }

 private:
  explicit BrkGuard(Mapping guard) : guard_(std::move(guard)) {}
  Mapping guard_;
};

}  // namespace tproc::runtime
