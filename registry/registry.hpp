#pragma once
// Registry: the daemon's side of a space's endpoint registry.
//
// The daemon formats the registry once at start, declares the endpoints a manifest names for each
// tproc it launches, withdraws a tproc's endpoints when it exits (however it exits), and lists them
// for `tproc registry ls`. Tprocs use the same table directly through libtproc
// (include/tproc/tproc.h); both sides share registry/endpoint_table.hpp.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/endpoint_table.hpp"
#include "registry/heap_region.hpp"
#include "registry/registry_region.hpp"

namespace tproc::registry {

/// One endpoint as `tproc registry ls` shows it.
struct EndpointInfo {
  std::string name;
  uint64_t address = 0;
  uint64_t kind = 0;
  pid_t owner = 0;
  EntryState state = EntryState::free;
  uint64_t generation = 0;
};

/// "declared", "ready" (the words `registry ls` prints), or "free"/"withdrawn".
const char* state_name(EntryState state);

/// How long withdraw_owner() waits for a writer lock held by a live tproc before giving up.
inline constexpr int kWithdrawPatienceMs = 20;

/// The daemon's handle on a formatted registry region. A view: the RegistryRegion owns the memory.
class Registry {
 public:
  /// Formats `region` as the empty registry of space `space`, announcing `heap` (null: the space
  /// has no heap) and formatting it too. Call once, when the daemon starts, before any tproc runs.
  static Result<Registry> format(RegistryRegion& region, std::string_view space, HeapRegion* heap);

  /// The registry in an already formatted region (validated).
  static Result<Registry> open(void* region);

  /// Publishes `name` → `address` for tproc `owner`, as declared (it becomes ready when the owner
  /// calls tproc_ready(), at once if it already called tproc_ready(NULL)) or ready. Returns the
  /// entry's generation. Errors: EEXIST, ENOSPC, ENAMETOOLONG, EINVAL; EBUSY when a live tproc held
  /// the writer lock for `patience_ms` (negative: wait forever), e.g. one stopped by SIGSTOP.
  Result<uint64_t> publish_declared(std::string_view name, uint64_t address, uint64_t kind, pid_t owner,
                                    EntryState state = EntryState::declared, int patience_ms = -1);

  /// Withdraws every endpoint of the exited tproc `owner` and wakes every waiter; repairs an entry
  /// the tproc was writing when it died. Call after reaping each tproc. Returns how many endpoints
  /// went; fails with EBUSY when a stopped tproc holds the writer lock (retry later).
  Result<size_t> withdraw_owner(pid_t owner);

  /// The live endpoints, in table order.
  std::vector<EndpointInfo> list() const;

  /// The space name format() recorded.
  std::string space() const;

 private:
  explicit Registry(RegistryHeader* header) : table_(header) {}
  EndpointTable table_;
};

}  // namespace tproc::registry
