#pragma once
// Whether the process at the other end of a client connection lives in the daemon's own
// namespaces. A tproc started with isolation options (tproc run --rootfs/--net/--pid/--hostname)
// is in others; a program it asks the daemon to start (tproc_spawn, or the protocol by hand)
// would run in the daemon's, outside the container: more than its caller could do.

#include "common/result.hpp"

namespace tproc::space {

/// True when the peer of the connected Unix socket `socket` shares our mount, network, pid, UTS,
/// IPC and user namespaces. Answers for the process that connected, not a later holder of its pid
/// (checked through its pidfd, SO_PEERPIDFD); false when it has exited meanwhile.
Result<bool> peer_shares_our_namespaces(int socket);

}  // namespace tproc::space
