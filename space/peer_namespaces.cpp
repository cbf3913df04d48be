#include "space/peer_namespaces.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <string>

#include "common/unique_fd.hpp"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5
#endif

namespace tproc::space {

Result<bool> peer_shares_our_namespaces(int socket) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0) return Error::from_errno("SO_PEERCRED");
  // The kernel gives the pid as our pid namespace names it: 0 when it names none.
  if (peer.pid <= 0) return false;
  int pidfd_number = -1;
  length = sizeof(pidfd_number);
  const bool has_pidfd = ::getsockopt(socket, SOL_SOCKET, SO_PEERPIDFD, &pidfd_number, &length) == 0;
  const UniqueFd pidfd(has_pidfd ? pidfd_number : -1);

  const std::string peer_ns = "/proc/" + std::to_string(peer.pid) + "/ns/";
  for (const char* kind : {"mnt", "net", "pid", "uts", "ipc", "user"}) {
    struct stat ours {}, theirs {};
    if (::stat((std::string("/proc/self/ns/") + kind).c_str(), &ours) < 0)
      return Error::from_errno(std::string("stat /proc/self/ns/") + kind);
    if (::stat((peer_ns + kind).c_str(), &theirs) < 0) return false;  // gone, or not ours to read
    if (ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev) return false;
  }
  // What we read was the peer's, not a newcomer's at a reused pid: its pidfd says it still runs.
  if (pidfd) {
    pollfd exited{pidfd.get(), POLLIN, 0};
    if (::poll(&exited, 1, 0) != 0) return false;
  }
  return true;
}

}  // namespace tproc::space
