// registry ls: the endpoints the space's programs offer each other.

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::EndpointsRequest) {
  protocol::EndpointList list;
  for (const registry::EndpointInfo& entry : endpoints_->list()) {
    protocol::EndpointInfo listed{entry.name, entry.address, entry.kind, entry.owner, 0, "", registry::state_name(entry.state)};
    for (const auto& [id, record] : tprocs_.records())
      if (record->running() && record->pid == entry.owner) {
        listed.owner_id = id;
        listed.owner_name = record->name;
      }
    list.endpoints.push_back(std::move(listed));
  }
  reply(std::move(client), list);
}

}  // namespace tproc::space
