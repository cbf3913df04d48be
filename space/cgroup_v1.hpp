#pragma once
// The cgroup v1 hierarchies a root daemon uses for its tprocs (pids for limits.processes, freezer
// for pause), found as the kernel lists them: this machine, like many, is a v1/v2 hybrid.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tproc::space {

/// Where the v1 hierarchy of `controller` ("pids", "freezer") is mounted, from /proc/self/mounts;
/// empty when nowhere.
std::string cgroup_v1_mount(std::string_view controller);

/// The daemon's own cgroup in that hierarchy, from /proc/self/cgroup ("6:freezer:/path"); empty
/// when it is in none.
std::string own_cgroup_v1(std::string_view controller);

/// Writes `text` to the control file at `path` (never through a symlink), in one write.
Result<void> write_cgroup_file(const std::string& path, const std::string& text);

}  // namespace tproc::space
