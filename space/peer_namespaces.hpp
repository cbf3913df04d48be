#pragma once
// Whether the process at the other end of a client connection lives in the daemon's own
// namespaces. A tproc started with isolation options (tproc run --rootfs/--net/--pid/--hostname)
// is in others; a program it asks the daemon to start (tproc_spawn, or the protocol by hand)
// would run in the daemon's, outside the container: more than its caller could do.
//
// Every launch asks, so the check is cheap. The daemon's own namespaces are opened once (it never
// changes them) and kept open, so the kernel keeps their nsfs dentries: comparing a peer's is then
// no inode built and dropped per namespace. The peer's come from its pidfd (SO_PEERPIDFD and the
// PIDFD_GET_*_NAMESPACE ioctls, Linux 6.11), which names the process that connected, not a later
// holder of its pid, and needs no /proc lookups; on older kernels from /proc/PID/ns, opened once.
// (Twelve stat() calls of /proc/.../ns/* links, the first version, took 0.05-0.1 ms of every launch.)

#include <sys/types.h>

#include <array>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::space {

/// The daemon's own namespaces, opened once; asks whether a connected peer shares them all.
class PeerNamespaces {
 public:
  /// Opens our mount, network, pid, UTS, IPC and user namespaces.
  static Result<PeerNamespaces> open_ours();

  /// Where the peer's namespaces are read: its pidfd where the kernel can (else /proc), or /proc
  /// only (what older kernels do; tests take both ways).
  enum class Lookup { pidfd_first, proc_only };

  /// True when the peer of the connected Unix socket `socket` shares all of them. Answers for the
  /// process that connected, not a later holder of its pid (through its pidfd, SO_PEERPIDFD);
  /// false when it has exited meanwhile or its namespaces cannot be read.
  [[nodiscard]] Result<bool> shared_by_peer(int socket, Lookup lookup = Lookup::pidfd_first) const;

  /// How many namespaces are compared.
  static constexpr size_t kCount = 6;

 private:
  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
  };
  PeerNamespaces() = default;
  [[nodiscard]] bool same(size_t kind, int namespace_fd) const;
  [[nodiscard]] Result<bool> shared_through_proc(pid_t pid, int pidfd) const;

  std::array<UniqueFd, kCount> ours_;  ///< kept open: see above
  std::array<Identity, kCount> identities_;
};

}  // namespace tproc::space
