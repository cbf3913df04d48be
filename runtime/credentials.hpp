#pragma once
// Credentials: the user, groups and capabilities a tproc takes on before its program starts
// (tproc run -u; tproc-oci's process.user and process.capabilities), as launch-script steps.
//
// Invariant: these steps come after every step that needs the daemon's privileges (joining a
// cgroup, mounts, the mapping filter, limits above the caller's) and before the working directory
// is entered, so the directory is checked with the new user's rights.
//
// A uid change in a process whose mm is the space's makes that mm non-dumpable for good
// (fs.suid_dumpable is 0 here): from then on no program of the space dumps core, and its /proc
// files belong to root. Nothing sets it back: a tproc that could would undo it for every other.

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// One set per kind, bit N: capability N (CAP_CHOWN is 0).
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

/// Who the tproc becomes.
struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  ///< supplementary groups, exactly these
  CapabilitySets capabilities;   ///< kept where the daemon has them itself
  bool no_new_privs = true;
};

/// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
Result<int> last_capability();

/// The daemon's own capability sets (capget, prctl), to bound what a tproc may keep.
Result<CapabilitySets> own_capabilities(int last_capability);

/// Appends the steps that give the tproc `credentials`: the bounding set cut to
/// credentials.capabilities.bounding, ambient capabilities cleared, no_new_privs if asked, then
/// setgroups, setresgid, setresuid, the capability sets (those of `held`, the daemon's, that are
/// asked for; nothing else survives) and the ambient ones raised.
void add_credentials(LaunchScript& script, const Credentials& credentials, const CapabilitySets& held,
                     int last_capability);

}  // namespace tproc::runtime
