// wait: answer with a tproc's exit status once it has exited (`tproc wait`, as docker wait).

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::WaitRequest request) {
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  TprocRecord& record = **found;
  if (!record.running())
    return reply(std::move(client), protocol::Exited{record.status->killed, record.status->value, record.status->core_dumped});
  // Kept with the record and answered by on_tproc_exit; bounded, as each holds a connection.
  if (record.exit_waiters.size() >= kMaxExitWaiters)
    return reply_error(std::move(client), Error::explained("tproc " + std::to_string(record.id) + " (" + record.name +
                                                               ") already has " + std::to_string(kMaxExitWaiters) +
                                                               " clients waiting for it",
                                                           EAGAIN));
  record.exit_waiters.push_back({std::move(client->connection), false});
}

}  // namespace tproc::space
