#pragma once
// How a tproc reaches its own space's daemon, to ask it for another program (tproc_spawn()).

#include "common/unique_fd.hpp"

namespace tproc::lib {

/// Connects to the daemon of the space this process runs in, at the socket path the daemon put in
/// our auxiliary vector (TPROC_AT_SOCKET), and checks that the peer is that daemon: our own uid,
/// and our parent (the daemon starts every tproc). 0 with `connection` set; -ENOTCONN (not in a
/// space, or a fork() child), -ENOTSUP (a daemon that offers no socket), -ECONNREFUSED (the daemon
/// is gone), -EPERM (the socket is someone else's), or another connect() errno.
int connect_to_daemon(UniqueFd& connection);

}  // namespace tproc::lib
