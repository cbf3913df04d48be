#pragma once
// Reaching a space's daemon socket without trusting whoever made it. A client sends its argv,
// whole environment, executable and stdio: before anything leaves, the runtime dir must pass
// common/trusted_directory.hpp's rule and the listening peer must be our own uid (SO_PEERCRED),
// so a socket another user planted, or a directory they can write, is refused with its path.

#include <string>

#include "common/result.hpp"
#include "protocol/connection.hpp"
#include "space/space_paths.hpp"

namespace tproc::space {

/// Connects to the daemon socket of `space`. ENOENT/ECONNREFUSED mean no daemon listens there
/// (also when the runtime dir does not exist yet); EPERM/ELOOP that something on the way, or the
/// peer, is not to be trusted (the error says what, naming the path).
Result<protocol::Connection> connect_space_socket(const SpacePaths& paths, const std::string& space);

/// Checks that the peer of the connected Unix socket `socket` runs as our euid; `what` names it.
Result<void> check_peer_is_us(int socket, const std::string& what);

}  // namespace tproc::space
