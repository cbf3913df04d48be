#pragma once
// ContainerSetup: what an OCI container (tproc-oci) asks of its tproc beyond `tproc run`'s
// isolation (runtime/isolation.hpp): its mounts, as config.json lists them, and an IPC namespace.
//
// The mounts are launch-script steps the child makes in its own mount namespace, after its root
// filesystem is bound onto itself and before pivot_root, in runc's order: each mount in turn, then
// the default devices of a /dev tmpfs. Every destination is resolved inside the root filesystem
// (openat2 RESOLVE_IN_ROOT from a descriptor of it, one path component created at a time with
// *at() calls): a symlink the image plants resolves inside it, never on the host, and a mount is
// made on the descriptor the walk opened (/proc/self/fd/N), not on a path looked up again.
//
// Invariant: the steps use two descriptor numbers the caller guarantees free (the child's table is
// exactly its placed descriptors by then) and leave both closed, so later steps that count on the
// lowest free number (the mapping filter's listener) still find it where they expect.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/launch_script.hpp"
#include "runtime/mount_options.hpp"

namespace tproc::runtime {

/// One mount as config.json gives it.
struct MountSpec {
  std::string destination;           ///< absolute, inside the root filesystem
  std::string type;                  ///< proc, tmpfs, sysfs, devpts, mqueue, bind (or a bind option)
  std::string source;                ///< a bind's host path (absolute); else the file system's source name
  std::vector<std::string> options;  ///< runc's mount options
};

/// What a container asks, unchecked.
struct ContainerSpec {
  std::vector<MountSpec> mounts;
  std::string ipc;  ///< "" (the daemon's), "new", or "ns:PATH" (join it)
};

/// A container's setup, checked, with the descriptors the child needs opened by the daemon.
class ContainerSetup {
 public:
  /// Checks every mount (its type, options and a bind's source) and opens a joined IPC namespace.
  /// Errors name the mount by its destination, or the namespace by its path, and the reason.
  static Result<ContainerSetup> open(const ContainerSpec& spec);

  /// CLONE_NEWIPC for a new IPC namespace.
  uint64_t clone_flags() const;
  /// Adds the steps that need the daemon's descriptors: joining an IPC namespace.
  void add_joins(LaunchScript& script) const;
  /// Adds the mounts, once `root` (absolute) is a mount of its own in the child's namespace.
  /// `root_slot` and `scratch_slot` are two descriptor numbers free at that point.
  void add_mounts(LaunchScript& script, const std::string& root, int root_slot, int scratch_slot) const;

 private:
  struct Mount {
    std::string destination;  ///< cleaned, relative to the root ("dev/pts")
    std::string type;         ///< the file system type; empty for a bind
    std::string source;
    MountOptions options;
    bool file = false;        ///< a bind of a file: the destination is created as a file
  };
  std::vector<Mount> mounts_;
  bool new_ipc_ = false;
  UniqueFd joined_ipc_;
};

}  // namespace tproc::runtime
