// ps: the tprocs of the space.

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::ListRequest request) {
  protocol::TprocList list;
  for (const auto& [_, record] : tprocs_.records())
    if (request.all || record->running()) list.tprocs.push_back(record->info());
  reply(std::move(client), list);
}

}  // namespace tproc::space
