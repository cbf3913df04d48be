// The registry half of the C API: publish, look up, wait for, make ready, withdraw and list
// endpoints. Thin: the work is in registry/endpoint_table.cpp, shared with the daemon.

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libtproc/attachment.hpp"
#include "registry/endpoint_table.hpp"
#include "tproc/tproc.h"

namespace {

using tproc::registry::Deadline;
using tproc::registry::EndpointName;
using tproc::registry::EndpointSnapshot;
using tproc::registry::EndpointTable;
using tproc::registry::EntryState;

static_assert(TPROC_NAME_MAX == tproc::registry::kMaxNameLength);
static_assert(TPROC_MAX_ENDPOINTS == tproc::registry::kMaxEndpoints);
static_assert(TPROC_ENDPOINT_DECLARED == static_cast<int>(EntryState::declared));
static_assert(TPROC_ENDPOINT_READY == static_cast<int>(EntryState::ready));

/// The attached registry and the packed `name`: 0 or a negative errno (not in a space first).
int prepare(const char* name, tproc::registry::RegistryHeader** header, EndpointName* packed) {
  int error = 0;
  *header = tproc::lib::attached_registry(&error);
  if (*header == nullptr) return error;
  return packed == nullptr ? 0 : EndpointName::make(name, packed);
}

/// The entry named `name` as it is now: 0, or a negative errno (not in a space, bad name, none).
int find(const char* name, EndpointSnapshot* found) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, &packed); error < 0) return error;
  return EndpointTable(header).find(packed, found);
}

void copy_out(const EndpointSnapshot& snapshot, tproc_endpoint* out) {
  std::memcpy(out->name, snapshot.name, sizeof(out->name));
  out->address = reinterpret_cast<void*>(snapshot.address);
  out->kind = snapshot.kind;
  out->owner_pid = snapshot.owner;
  out->state = static_cast<uint32_t>(snapshot.state);
  out->generation = snapshot.generation;
}

}  // namespace

extern "C" {

TPROC_API int tproc_publish(const char* name, const void* address, uint64_t kind) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, &packed); error < 0) return error;
  EndpointTable table(header);
  return table.publish(packed, reinterpret_cast<uint64_t>(address), kind, ::getpid(), EntryState::ready);
}

TPROC_API int tproc_lookup(const char* name, void** address, uint64_t* kind) {
  EndpointSnapshot found;
  if (int error = find(name, &found); error < 0) return error;
  if (found.state != EntryState::ready) return -EAGAIN;
  if (address != nullptr) *address = reinterpret_cast<void*>(found.address);
  if (kind != nullptr) *kind = found.kind;
  return 0;
}

TPROC_API int tproc_query(const char* name, struct tproc_endpoint* endpoint) {
  if (endpoint == nullptr) return -EINVAL;
  EndpointSnapshot found;
  if (int error = find(name, &found); error < 0) return error;
  copy_out(found, endpoint);
  return 0;
}

TPROC_API int tproc_wait(const char* name, int timeout_ms, void** address) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, &packed); error < 0) return error;
  EndpointTable table(header);
  const Deadline deadline = Deadline::after_ms(timeout_ms);
  for (;;) {
    const uint32_t seen = table.changes();  // before the check: a change after it ends the wait
    EndpointSnapshot found;
    if (table.find(packed, &found) == 0 && found.state == EntryState::ready) {
      if (address != nullptr) *address = reinterpret_cast<void*>(found.address);
      return 0;
    }
    if (timeout_ms == 0) return -ETIMEDOUT;
    if (int error = table.wait_for_change(seen, deadline); error < 0) return error;
  }
}

TPROC_API int tproc_wait_gone(const char* name, uint64_t generation, int timeout_ms) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, &packed); error < 0) return error;
  EndpointTable table(header);
  const Deadline deadline = Deadline::after_ms(timeout_ms);
  for (;;) {
    const uint32_t seen = table.changes();
    EndpointSnapshot found;
    if (table.find(packed, &found) < 0 || found.generation != generation) return 0;
    if (timeout_ms == 0) return -ETIMEDOUT;
    if (int error = table.wait_for_change(seen, deadline); error < 0) return error;
  }
}

TPROC_API int tproc_ready(const char* name) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, name != nullptr ? &packed : nullptr); error < 0) return error;
  EndpointTable table(header);
  return table.make_ready(name != nullptr ? &packed : nullptr, ::getpid());
}

TPROC_API int tproc_withdraw(const char* name) {
  tproc::registry::RegistryHeader* header;
  EndpointName packed;
  if (int error = prepare(name, &header, &packed); error < 0) return error;
  EndpointTable table(header);
  return table.withdraw(packed, ::getpid());
}

TPROC_API int tproc_list(struct tproc_endpoint* endpoints, size_t capacity) {
  if (endpoints == nullptr && capacity > 0) return -EINVAL;
  tproc::registry::RegistryHeader* header;
  if (int error = prepare(nullptr, &header, nullptr); error < 0) return error;
  EndpointTable table(header);
  int live = 0;
  for (uint32_t slot = 0; slot < tproc::registry::kSlotCount; ++slot) {
    EndpointSnapshot snapshot;
    if (!table.read_slot(slot, &snapshot)) continue;
    if (static_cast<size_t>(live) < capacity) copy_out(snapshot, &endpoints[live]);
    ++live;
  }
  return live;
}

}  // extern "C"
