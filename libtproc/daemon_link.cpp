// The path comes from the daemon itself (TPROC_AT_SOCKET points at a string in the space's memory,
// the one the daemon bound), not from the environment, which the program may have changed and
// which a `tproc run -e` sets at will. It is still only a path: after a daemon's death another
// process can bind there. So nothing is sent until the kernel says who listens (SO_PEERCRED): a
// process of our uid, and our parent. The daemon is the parent of every tproc it clones (clone3
// without CLONE_PARENT), and after its death our parent is init or a subreaper, never the new
// listener. That check replaces the runtime dir walk the CLI does (common/trusted_directory.hpp):
// it cannot be fooled by any path, and costs one getsockopt.

#include "libtproc/daemon_link.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/trusted_directory.hpp"
#include "libtproc/attachment.hpp"
#include "tproc/auxv.h"

namespace tproc::lib {
namespace {

/// Fills `address` with `path`, or when it is too long for sun_path, with a /proc/self/fd path
/// through `dir`, the directory opened here. False if neither fits.
bool address_of(const char* path, UniqueFd& dir, sockaddr_un& address) {
  address = sockaddr_un{};
  address.sun_family = AF_UNIX;
  const size_t length = strlen(path);
  if (length < sizeof(address.sun_path)) {
    memcpy(address.sun_path, path, length + 1);
    return true;
  }
  const char* slash = strrchr(path, '/');
  if (slash == nullptr || slash == path) return false;
  char directory[4096];
  const size_t directory_length = static_cast<size_t>(slash - path);
  if (directory_length >= sizeof(directory)) return false;
  memcpy(directory, path, directory_length);
  directory[directory_length] = '\0';
  dir.reset(::open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC));
  return dir && path_in_directory(dir.get(), slash + 1, address.sun_path, sizeof(address.sun_path));
}

}  // namespace

int connect_to_daemon(UniqueFd& connection) {
  int error = 0;
  if (attached_registry(&error) == nullptr) return error;
  const auto* path = reinterpret_cast<const char*>(getauxval(TPROC_AT_SOCKET));
  if (path == nullptr || path[0] != '/') return -ENOTSUP;

  UniqueFd dir;
  sockaddr_un address;
  if (!address_of(path, dir, address)) return -ENAMETOOLONG;
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!socket) return -errno;
  int connected;
  do connected = ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  while (connected < 0 && errno == EINTR);
  // No socket file, or nobody listening on it: the daemon is gone (it unlinks its socket as it ends).
  if (connected < 0) return errno == ENOENT ? -ECONNREFUSED : -errno;

  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0) return -errno;
  if (peer.uid != ::geteuid() || peer.pid != ::getppid()) return -EPERM;
  connection = static_cast<UniqueFd&&>(socket);
  return 0;
}

}  // namespace tproc::lib
