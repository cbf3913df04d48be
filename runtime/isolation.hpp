#pragma once
// Isolation: the namespaces and root filesystem a tproc gets (tproc run --rootfs, --hostname,
// --net, --pid), as clone3 flags and launch-script steps.
//
// Every CLONE_NEW* flag combines with CLONE_VM on this kernel (DESIGN.md): the tproc is a container
// with its own root, hostname, network and PIDs that still shares the space's memory. What needs
// the daemon's descriptors (a joined namespace) runs before the script places the program's fds.

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "runtime/container_setup.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// What a run asks for, checked, with the descriptors the child needs opened by the daemon.
class Isolation {
 public:
  /// Checks the request: `rootfs` an absolute directory, `hostname` at most 64 bytes, `network`
  /// "", "none" or "ns:PATH" naming a network namespace. Errors name the option and the reason.
  /// `container` (tproc-oci's, with a rootfs): its mounts replace the default /proc.
  static Result<Isolation> open(const std::string& rootfs, const std::string& hostname, const std::string& network,
                                bool private_pids, const ContainerSpec* container = nullptr);

  /// The CLONE_NEW* flags the tproc is cloned with.
  uint64_t clone_flags() const;
  /// The directory that becomes "/" (O_PATH), or -1.
  int root_directory() const { return root_.get(); }
  /// Adds the steps that must precede fd placement: joining a network namespace.
  void add_joins(LaunchScript& script) const;
  /// Adds the steps that make the root and hostname the program's; its working directory is set
  /// after them, inside the new root. `free_slots` are two descriptor numbers free at that point
  /// (a container's mounts use them; ContainerSetup::add_mounts).
  void add_root_and_names(LaunchScript& script, std::pair<int, int> free_slots) const;

 private:
  std::string rootfs_;
  std::string hostname_;
  bool new_network_ = false;
  UniqueFd joined_network_;
  bool private_pids_ = false;
  UniqueFd root_;
  std::optional<ContainerSetup> container_;
};

}  // namespace tproc::runtime
