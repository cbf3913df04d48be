#include "registry/registry.hpp"

#include <unistd.h>

#include "registry/space_heap.hpp"

namespace tproc::registry {

const char* state_name(EntryState state) {
  switch (state) {
    case EntryState::free: return "free";
    case EntryState::declared: return "declared";
    case EntryState::ready: return "ready";
    case EntryState::withdrawn: return "withdrawn";
  }
  return "unknown";
}

Result<Registry> Registry::format(RegistryRegion& region, std::string_view space, HeapRegion* heap) {
  if (space.size() > kMaxNameLength)
    return Error("space name '" + std::string(space) + "' is longer than " + std::to_string(kMaxNameLength) + " bytes",
                 ENAMETOOLONG);
  if (heap != nullptr) {
    if (int error = SpaceHeap::format(heap->get(), heap->size()); error < 0)
      return Error("format the space heap (" + std::to_string(heap->size() >> 20) + " MiB)", -error);
  }
  const std::string name(space);
  if (int error = EndpointTable::format(region.get(), region.size(), name.c_str(), heap ? heap->address() : 0,
                                        heap ? heap->size() : 0);
      error < 0)
    return Error("format the registry region (" + std::to_string(region.size()) + " bytes)", -error);
  return Registry(static_cast<RegistryHeader*>(region.get()));
}

Result<Registry> Registry::open(void* region) {
  if (int error = EndpointTable::validate(region); error < 0)
    return Error(error == -EPROTO ? "registry layout version differs from this build" : "no registry at this address",
                 -error);
  return Registry(static_cast<RegistryHeader*>(region));
}

Result<uint64_t> Registry::publish_declared(std::string_view name, uint64_t address, uint64_t kind, pid_t owner,
                                            EntryState state, int patience_ms) {
  const std::string text(name);
  if (name.find('\0') != std::string_view::npos) return Error("endpoint name with a NUL byte", EINVAL);
  EndpointName packed;
  if (int error = EndpointName::make(text.c_str(), &packed); error < 0)
    return Error("endpoint name '" + text + "'", -error);
  uint64_t generation = 0;
  if (int error = table_.publish(packed, address, kind, owner, state, &generation, patience_ms); error < 0) {
    if (error == -EEXIST) return Error("endpoint '" + text + "' is already published", EEXIST);
    if (error == -EBUSY)
      return Error("publish endpoint '" + text + "': the registry's writer lock is held by pid " +
                       std::to_string(table_.header()->writer.load()),
                   EBUSY);
    if (error == -ENOSPC)
      return Error("registry is full (" + std::to_string(kMaxEndpoints) + " endpoints): cannot publish '" + text + "'",
                   ENOSPC);
    return Error("publish endpoint '" + text + "'", -error);
  }
  return generation;
}

Result<size_t> Registry::withdraw_owner(pid_t owner) {
  const int withdrawn = table_.withdraw_owner(owner, ::getpid(), kWithdrawPatienceMs);
  if (withdrawn < 0)
    return Error("withdraw the endpoints of pid " + std::to_string(owner) + ": the registry's writer lock is held by pid " +
                     std::to_string(table_.header()->writer.load()),
                 -withdrawn);
  return static_cast<size_t>(withdrawn);
}

std::vector<EndpointInfo> Registry::list() const {
  std::vector<EndpointSnapshot> snapshots(kMaxEndpoints);
  const size_t live = table_.list(snapshots.data(), snapshots.size());
  std::vector<EndpointInfo> endpoints;
  endpoints.reserve(std::min(live, snapshots.size()));
  for (size_t i = 0; i < live && i < snapshots.size(); ++i) {
    const EndpointSnapshot& s = snapshots[i];
    endpoints.push_back(EndpointInfo{s.name, s.address, s.kind, s.owner, s.state, s.generation});
  }
  return endpoints;
}

std::string Registry::space() const { return table_.header()->space_name; }

}  // namespace tproc::registry
