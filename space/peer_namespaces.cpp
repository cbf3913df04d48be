#include "space/peer_namespaces.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5
#endif

namespace tproc::space {
namespace {

// linux/pidfd.h (Linux 6.11): an open namespace of the pidfd's process.
constexpr unsigned kPidfsMagic = 0xFF;

struct Kind {
  const char* name;    ///< under /proc/PID/ns/
  unsigned long ioctl; ///< PIDFD_GET_<KIND>_NAMESPACE
};
constexpr Kind kKinds[] = {{"mnt", _IO(kPidfsMagic, 3)}, {"net", _IO(kPidfsMagic, 4)},  {"pid", _IO(kPidfsMagic, 5)},
                           {"uts", _IO(kPidfsMagic, 10)}, {"ipc", _IO(kPidfsMagic, 2)}, {"user", _IO(kPidfsMagic, 9)}};
static_assert(std::size(kKinds) == PeerNamespaces::kCount);

/// Whether the pidfd ioctls are missing (an older kernel), rather than refused for this process.
bool unsupported(int error) { return error == ENOTTY || error == EINVAL || error == EOPNOTSUPP; }

}  // namespace

Result<PeerNamespaces> PeerNamespaces::open_ours() {
  PeerNamespaces namespaces;
  for (size_t i = 0; i < kCount; ++i) {
    const std::string path = std::string("/proc/self/ns/") + kKinds[i].name;
    namespaces.ours_[i].reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!namespaces.ours_[i] || ::fstat(namespaces.ours_[i].get(), &st) < 0) return Error::from_errno("open " + path);
    namespaces.identities_[i] = {st.st_dev, st.st_ino};
  }
  return namespaces;
}

bool PeerNamespaces::same(size_t kind, int namespace_fd) const {
  struct stat st {};
  return ::fstat(namespace_fd, &st) == 0 && st.st_dev == identities_[kind].device && st.st_ino == identities_[kind].inode;
}

Result<bool> PeerNamespaces::shared_by_peer(int socket, Lookup lookup) const {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0) return Error::from_errno("SO_PEERCRED");
  // The kernel gives the pid as our pid namespace names it: 0 when it names none.
  if (peer.pid <= 0) return false;
  int pidfd_number = -1;
  length = sizeof(pidfd_number);
  const UniqueFd pidfd(::getsockopt(socket, SOL_SOCKET, SO_PEERPIDFD, &pidfd_number, &length) == 0 ? pidfd_number : -1);
  if (!pidfd || lookup == Lookup::proc_only) return shared_through_proc(peer.pid, pidfd.get());
  for (size_t i = 0; i < kCount; ++i) {
    const UniqueFd theirs(::ioctl(pidfd.get(), kKinds[i].ioctl, 0));
    if (!theirs) {
      if (i == 0 && unsupported(errno)) return shared_through_proc(peer.pid, pidfd.get());
      return false;  // exited (ESRCH), or not ours to read
    }
    if (!same(i, theirs.get())) return false;
  }
  return true;
}

Result<bool> PeerNamespaces::shared_through_proc(pid_t pid, int pidfd) const {
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d/ns", pid);
  const UniqueFd ns(::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!ns) return false;  // gone, or not ours to read
  // What we opened was the peer's, not a newcomer's at a reused pid: its pidfd says it still runs
  // (the directory keeps naming the process it was opened for, and fails once that one is gone).
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    if (::poll(&exited, 1, 0) != 0) return false;
  }
  for (size_t i = 0; i < kCount; ++i) {
    struct stat st {};
    if (::fstatat(ns.get(), kKinds[i].name, &st, 0) < 0) return false;
    if (st.st_dev != identities_[i].device || st.st_ino != identities_[i].inode) return false;
  }
  return true;
}

}  // namespace tproc::space
