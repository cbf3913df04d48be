#pragma once
// ContainerCgroups: a container's cgroups (config.json linux.cgroupsPath and linux.resources).
//
// tproc-oci makes them at create, one directory per cgroup v1 hierarchy it uses (pids, cpu,
// cpuacct, cpuset, memory, devices, blkio: those mounted), writes linux.resources into them, and
// hands the directories to the daemon, whose launch script writes the container's tproc into each
// before its program runs (runtime/cgroup_join.hpp). A tproc is a process of its own, so its
// pids, cpu, cpuset and devices limits hold for it and everything it starts, as in runc. Not the
// stand-in: the monitor's pid is outside them. delete ends what still runs in them and removes them.
//
// Memory is the exception: the kernel charges an anonymous page to the memory cgroup of the mm's
// owner, which for every tproc of a space is the daemon (one mm), not to the faulting task's. A
// limit would not bind the container, so linux.resources.memory is refused (README: measured).
//
// Where (as runc's cgroupfs driver): an absolute cgroupsPath is below each hierarchy's root, a
// relative one below tproc-oci's own cgroup there, none (with resources) is the container ID
// there. With --systemd-cgroup it is systemd's slice:prefix:name, laid out as systemd lays it
// (machine.slice:libpod:ID is /machine.slice/libpod-ID.scope), made through cgroupfs: tproc-oci
// does not ask systemd for a scope, so it refuses where systemd runs. cgroup v2 only (no v1
// hierarchy, /sys/fs/cgroup is cgroup2) is refused.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.hpp"

namespace tproc::oci {

/// One value written into a control file of one hierarchy.
struct CgroupWrite {
  std::string controller;  ///< pids, cpu, cpuset, devices
  std::string file;        ///< pids.max, cpu.shares, devices.allow...
  std::string value;
};

/// linux.cgroupsPath and linux.resources, checked; what create makes of them.
struct CgroupRequest {
  bool wanted = false;              ///< either was given
  std::string path;                 ///< linux.cgroupsPath as given
  std::vector<CgroupWrite> writes;  ///< in the order they are written

  /// Reads them from the `linux` object; an error names the field.
  static Result<CgroupRequest> parse(const nlohmann::json& linux_config);
};

/// The cgroup directories of container `id`, relative to every hierarchy's root ("/a/b"): where
/// `path` says (`systemd`: --systemd-cgroup), "" for none.
Result<std::string> cgroup_inner_path(const CgroupRequest& request, const std::string& id, bool systemd,
                                      const std::string& own_cgroup);

/// Makes the container's cgroup in each hierarchy and writes the limits; returns the directories
/// made (the leaf of each). Nothing is left behind when it fails.
Result<std::vector<std::string>> make_cgroups(const CgroupRequest& request, const std::string& id, bool systemd);

/// Ends every process still in `directories` (the container's leftovers) and removes them.
Result<void> remove_cgroups(const std::vector<std::string>& directories);

}  // namespace tproc::oci
