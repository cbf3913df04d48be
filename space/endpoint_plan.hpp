#pragma once
// EndpointPlan: the endpoints a bundle's manifest declares, ready to publish for its tproc.
//
// An endpoint may name an exported symbol of the executable; its address is the symbol's link
// address plus where the executable was loaded. ld.so maps a bundle's executable itself, so for a
// position-independent one the daemon learns that load address only when ld.so's mmap of the
// file reaches the mapping server — still before the program's main(), so before it can call
// tproc_ready(). A symbol the executable does not define fails the run before it starts.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "protocol/messages.hpp"
#include "registry/registry.hpp"

namespace tproc::space {

/// Declared endpoints with their symbols resolved against one executable.
class EndpointPlan {
 public:
  /// Resolves `declared` against the executable open at `executable` (may be invalid when no
  /// endpoint names a symbol).
  static Result<EndpointPlan> resolve(const UniqueFd& executable, const std::vector<protocol::DeclaredEndpoint>& declared);

  bool empty() const { return endpoints_.empty(); }
  /// Whether the addresses wait for the executable's load address (a PIE with symbol endpoints).
  bool needs_load_address() const { return needs_load_address_; }
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }
  /// The link address the executable's first mapping (file offset 0) corresponds to.
  uint64_t link_base() const { return link_base_; }

  size_t size() const { return endpoints_.size(); }

  /// Publishes the endpoints from `next` on for `owner`, symbol addresses moved by `bias`, moving
  /// `next` past each one it is done with. Waits at most `patience_ms` for the registry's writer
  /// lock: EBUSY then, with `next` at the endpoint to try again later. Any other error is about
  /// endpoint `next - 1`, which is skipped: calling again goes on with the rest.
  Result<void> publish(registry::Registry& registry, pid_t owner, uint64_t bias, size_t& next, int patience_ms) const;

 private:
  struct Planned {
    std::string name;
    std::optional<uint64_t> link_address;  ///< the symbol's st_value, if the endpoint names one
    uint64_t kind = 0;
    bool ready_at_start = false;
  };
  std::vector<Planned> endpoints_;
  bool needs_load_address_ = false;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  uint64_t link_base_ = 0;
};

}  // namespace tproc::space
