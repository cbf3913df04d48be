#pragma once
// A RunRequest's container settings (tproc-oci's) as the runtime takes them: one conversion for
// the daemon, which applies them, and tproc-oci, which checks them the same way at create.

#include "protocol/messages.hpp"
#include "runtime/container_setup.hpp"

namespace tproc::space {

/// The runtime's view of `setup`.
inline runtime::ContainerSpec container_spec(const protocol::ContainerSetup& setup) {
  runtime::ContainerSpec spec;
  for (const protocol::ContainerMount& mount : setup.mounts)
    spec.mounts.push_back({mount.destination, mount.type, mount.source, mount.options});
  spec.ipc = setup.ipc;
  return spec;
}

}  // namespace tproc::space
