#pragma once
// The mapping filter: how the daemon learns which tproc made which mapping.
//
// A tproc's mappings outlive it in the shared mm. To give them back when it ends, the daemon must
// know who made each one. The launch script installs, right before the program's entry, a seccomp
// filter that turns mmap, munmap and mremap into user notifications; the daemon performs those
// calls itself (same mm, same result) and records the ranges (space/mapping_server.hpp). The
// filter's listener is created in the child, so the child sends it to the daemon over a socket.
//
// The filter survives fork and execve: calls from a process that no longer shares the space's mm
// are let through unchanged (SECCOMP_USER_NOTIF_FLAG_CONTINUE) by the daemon.
//
// What reaches the daemon, besides every native mmap, munmap and mremap:
// - brk: every tproc has a program break of its own, kept by the daemon (space/program_break.hpp);
// - shmat and shmdt: a SysV attachment is a mapping too (issue 14 item 12), so the daemon attaches
//   and detaches for the tproc and reclaims what it left attached;
// - mprotect, only when its range may overlap one of the ranges it is given (the vDSO and vvar
//   pages, the daemon's image and stack: space/protected_ranges.hpp), so the daemon can refuse to
//   change those while ld.so's and malloc's mprotect calls elsewhere never leave the kernel;
// - every call of a foreign ABI (x86_64's `int 0x80`, i386 numbers; x32 numbers), whose mapping
//   calls would otherwise map behind the ledger's back: the daemon fails them with ENOSYS in a
//   tproc and lets them run in a process with its own mm (an exec'd 32-bit program).

#include <linux/seccomp.h>

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// [begin, end): an address range the filter watches mprotect calls on.
struct GuardedRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Appends the steps that install the mapping filter and send its listener over the socket at
/// fd `channel_slot` (already installed there). The listener appears at `listener_slot`, the lowest
/// free descriptor at that point. Both descriptors are closed again before the program starts.
/// `no_new_privs`: set it first (required to install a filter without CAP_SYS_ADMIN).
/// `mprotect_guarded`: the ranges (at most 8) whose mprotect calls the daemon sees.
void add_mapping_filter(LaunchScript& script, int channel_slot, int listener_slot, bool no_new_privs,
                        const std::vector<GuardedRange>& mprotect_guarded = {});

/// Whether a notified call is a native call of this architecture (not `int 0x80`, not x32).
bool is_native_call(const seccomp_data& call);

/// Receives the listener a new tproc sent, once `channel` is readable; ECHILD if the child ended
/// before sending it.
Result<UniqueFd> receive_listener(int channel);

}  // namespace tproc::runtime
