#pragma once
// Cgroup joins: the cgroups a new tproc puts itself in, as its first launch step (tproc-oci's
// linux.cgroupsPath, one directory per cgroup v1 hierarchy; oci/container_cgroups.hpp).
//
// The daemon opens each cgroup's cgroup.procs before the clone; the child writes "0" (itself)
// into each before any other step, so its program never runs outside them and everything it
// forks starts inside. clone3's CLONE_INTO_CGROUP would place it at the clone itself, but takes a
// cgroup v2 directory only, and this machine's controllers are all v1 hierarchies.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// The most cgroups one tproc joins: one per hierarchy is a dozen at most.
inline constexpr size_t kMaxCgroupJoins = 16;

/// Opens DIR/cgroup.procs of each absolute cgroup directory for writing; an error names the
/// directory: one that is not on a cgroup file system is refused.
Result<std::vector<UniqueFd>> open_cgroup_procs(const std::vector<std::string>& directories);

/// Appends the steps that write the child into each opened cgroup.procs. The child uses the
/// daemon's own descriptor numbers, so these come before the script places descriptors.
void add_cgroup_joins(LaunchScript& script, const std::vector<std::string>& directories, const std::vector<UniqueFd>& procs);

}  // namespace tproc::runtime
