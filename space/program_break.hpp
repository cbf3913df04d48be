#pragma once
// ProgramBreak: one tproc's own program break (brk), kept by the daemon.
//
// One mm has one break, and the daemon pins it (runtime/brk_guard.hpp), so a tproc's brk() could
// never move it. Most libcs then fall back to mmap, but not every program: a static glibc older
// than 2.35 sets up its TLS with sbrk and crashes when that fails, and programs with an sbrk
// allocator of their own stop. So the mapping filter sends brk to the daemon, which answers it as
// the kernel answers a process of its own: the break starts at the bottom of a window reserved
// for the tproc at its first brk call, grows by making pages of the window readable and
// writable, and shrinks by giving them back (fresh zero pages when it grows again). The kernel's
// break is never asked, so no tproc can move the daemon's.
//
// What differs from a process's break, and why it does not matter to a program: it does not start
// right after the program's bss (the kernel randomises that offset anyway), /proc/PID/maps does not
// label it [heap], and it cannot grow past its window (kWindowBytes): brk then fails there as it
// fails when a process's heap runs into another mapping, and libcs go on with mmap.

#include <cstdint>
#include <functional>

#include "space/address_ledger.hpp"

namespace tproc::space {

class ProgramBreak {
 public:
  /// The address space a tproc's break may grow into, reserved (not committed) at its first brk.
  static constexpr uint64_t kWindowBytes = uint64_t{1} << 30;

  /// What brk(requested) returns: the new break, or the current one when it cannot move there
  /// (the kernel's answer, never an errno), or -ENOMEM when no window could be reserved.
  /// `may_grow(bytes)` says whether the tproc may map that many bytes more (its RLIMIT_AS). The
  /// window is `owner`'s in `ledger` from its reservation on, so reclaim gives it back; pages of
  /// it the tproc has unmapped or mapped over since are never touched.
  long move(uint64_t requested, AddressLedger& ledger, uint64_t owner, const std::function<bool(uint64_t)>& may_grow);

  /// The bytes of the window above the break: the tproc's in the ledger, but not usable memory
  /// (not counted against its RLIMIT_AS, as a process's unused address space is not).
  uint64_t reserved_unused() const;

 private:
  uint64_t begin_ = 0;    // the window [begin_, end_); 0: not reserved yet
  uint64_t end_ = 0;
  uint64_t current_ = 0;  // the break, not page-aligned (as the kernel keeps it)
};

}  // namespace tproc::space
