#pragma once
// MountOptions: an OCI mount's `options` (runc's vocabulary) as the calls that make the mount.
//
// A mount is made in up to three calls, as runc makes it: mount(2) with `flags` and `data`; for a
// bind, the per-mount attributes (ro, nosuid, ...) set afterwards on the new mount
// (mount_setattr: a bind's first call ignores them); then its propagation (rprivate, ...).

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::runtime {

/// What `options` ask, checked: every word is runc's or a file system's own `key[=value]`.
struct MountOptions {
  bool bind = false;         ///< bind or rbind
  bool recursive = false;    ///< rbind: the source's submounts too
  uint64_t flags = 0;        ///< mount(2) flags of a new file system (MS_RDONLY, MS_NOSUID, ...)
  uint64_t attr_set = 0;     ///< MOUNT_ATTR_* to set on a bind after it is made
  uint64_t attr_clear = 0;   ///< MOUNT_ATTR_* to clear on a bind (rw, suid, dev, exec, atime changes)
  uint64_t propagation = 0;  ///< MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE, with MS_REC; 0: as made
  std::string data;          ///< the file system's own options (mode=755,size=65536k), comma-joined

  /// Parses runc's options. Errors name the option and why (idmap, remount, ... are refused).
  static Result<MountOptions> parse(const std::vector<std::string>& options);
};

}  // namespace tproc::runtime
