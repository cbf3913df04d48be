#pragma once
// ContainerState: what tproc-oci keeps of one container between its commands, in ROOT/ID/
// (ROOT: the global --root, default /run/tproc-oci): state.json, and exec.fifo while the container
// is created but not started (its stand-in waits on the fifo until `start` opens it, as runc's does).

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::oci {

/// One container's record.
struct ContainerState {
  std::string id;
  pid_t pid = 0;                 ///< the stand-in: the pid the monitor (conmon) waits for
  unsigned long long start_time = 0;  ///< the stand-in's start time (/proc/PID/stat), against pid reuse
  std::string bundle;
  std::string created;           ///< RFC 3339
  std::map<std::string, std::string> annotations;
  std::vector<std::string> cgroups;  ///< the cgroup directories made for it, removed at delete

  /// "created" (the stand-in waits for start), "running", or "stopped" (it ended).
  std::string status(const std::string& root) const;
  /// The state JSON of the OCI runtime spec (runtime.md "State").
  std::string to_json(const std::string& root) const;

  /// Writes ROOT/ID/state.json (the directory must exist).
  Result<void> save(const std::string& root) const;
  /// Reads ROOT/ID/state.json; "container ID does not exist" when there is none.
  static Result<ContainerState> load(const std::string& root, const std::string& id);
};

/// Checks a container ID: letters, digits, '_', '+', '-', '.', not "." or "..", at most 1024 bytes.
Result<void> check_container_id(const std::string& id);
/// ROOT/ID.
std::string container_dir(const std::string& root, const std::string& id);
/// ROOT/ID/exec.fifo.
std::string exec_fifo(const std::string& root, const std::string& id);
/// Removes ROOT/ID with the files tproc-oci keeps there; ok if there is no ROOT/ID.
Result<void> remove_container_dir(const std::string& root, const std::string& id);
/// The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), 0 if gone.
unsigned long long process_start_time(pid_t pid);

}  // namespace tproc::oci
