#pragma once
// BundleConfig: what an OCI runtime bundle's config.json asks of tproc-oci, checked.
//
// Invariant: every field tproc-oci cannot honour in a shared address space, or does not honour
// yet, is refused with its JSON path and the reason; nothing is silently ignored.

#include <sys/resource.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"
#include "oci/container_cgroups.hpp"
#include "oci/seccomp_profile.hpp"

namespace tproc::oci {

/// One process.rlimits entry.
struct Rlimit {
  int resource = 0;
  rlim_t soft = 0, hard = 0;
};

/// The container as tproc runs it: `tproc run --rootfs ... SPACE ARGS...`.
struct BundleConfig {
  std::string bundle;              ///< the bundle directory, absolute
  std::string rootfs;              ///< root.path, absolute
  std::vector<std::string> args;   ///< process.args; empty when config.json has no process
  std::vector<std::string> env;    ///< process.env
  std::string cwd = "/";           ///< process.cwd
  std::vector<Rlimit> rlimits;     ///< process.rlimits
  int umask = -1;                  ///< process.user.umask, or -1: the runtime's
  std::string hostname;            ///< hostname, with a uts namespace
  std::string network;             ///< "" (host), "none", "ns:PATH"
  bool private_pids = false;       ///< a pid namespace
  /// What the daemon sets up for a container alone (mounts, ipc namespace, ...), checked here as
  /// the daemon will check it, so that create fails, not start.
  protocol::ContainerSetup container;
  std::string space = "default";   ///< annotation io.tproc.space
  SeccompProfile seccomp;          ///< linux.seccomp, compiled; an empty program: none
  CgroupRequest cgroups;           ///< linux.cgroupsPath and linux.resources
  std::map<std::string, std::string> annotations;

  /// Reads and checks BUNDLE/config.json.
  static Result<BundleConfig> read(const std::string& bundle);
  /// Checks an already parsed config.json text (for tests and read()).
  static Result<BundleConfig> parse(const std::string& bundle, const std::string& json_text);
};

}  // namespace tproc::oci
