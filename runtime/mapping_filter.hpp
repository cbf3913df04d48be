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

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// Appends the steps that install the mapping filter and send its listener over the socket at
/// fd `channel_slot` (already installed there). The listener appears at `listener_slot`, the lowest
/// free descriptor at that point. Both descriptors are closed again before the program starts.
/// `no_new_privs`: set it first (required to install a filter without CAP_SYS_ADMIN).
void add_mapping_filter(LaunchScript& script, int channel_slot, int listener_slot, bool no_new_privs);

/// Receives the listener a new tproc sent, once `channel` is readable; ECHILD if the child ended
/// before sending it.
Result<UniqueFd> receive_listener(int channel);

}  // namespace tproc::runtime
