#include "space/space_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/trusted_directory.hpp"

namespace tproc::space {

Result<void> check_peer_is_us(int socket, const std::string& what) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0) return Error::from_errno("SO_PEERCRED " + what);
  if (peer.uid != ::geteuid())
    return Error::explained(what + " is served by uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) +
                                "), not you: refusing to send it anything",
                            EPERM);
  return ok();
}

Result<protocol::Connection> connect_space_socket(const SpacePaths& paths, const std::string& space) {
  const std::string path = paths.socket(space);
  UniqueFd dir = TPROC_TRY(paths.open_runtime_dir(false));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!path_in_directory(dir.get(), (space + ".sock").c_str(), address.sun_path, sizeof(address.sun_path)))
    return Error("socket path too long: " + path, ENAMETOOLONG);
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!socket) return Error::from_errno("socket");
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
    return Error::from_errno("connect " + path);
  TPROC_TRY(check_peer_is_us(socket.get(), path));
  return protocol::Connection(std::move(socket));
}

}  // namespace tproc::space
