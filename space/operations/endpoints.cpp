// registry ls: the endpoints the space's programs offer each other.

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::EndpointsRequest) {
  protocol::EndpointList list;
  for (const registry::EndpointInfo& entry : endpoints_->list()) {
    std::string owner;
    for (const auto& [id, record] : tprocs_.records())
      if (record->running() && record->pid == entry.owner) owner = std::to_string(id) + " (" + record->name + ")";
    list.endpoints.push_back(protocol::EndpointInfo{entry.name, entry.address, entry.kind, entry.owner, owner,
                                                    registry::state_name(entry.state)});
  }
  reply(std::move(client), list);
}

}  // namespace tproc::space
