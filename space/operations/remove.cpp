// rm: forget an exited tproc — its record, its status and its log — or, forced, kill a running
// one and forget it once it is gone (`tproc rm [-f]`, as docker rm).

#include <signal.h>

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::RemoveRequest request) {
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  TprocRecord& record = **found;
  const std::string who = "tproc " + std::to_string(record.id) + " (" + record.name + ")";
  if (!record.running()) {
    tprocs_.remove(record.id);
    return reply(std::move(client), protocol::Done{});
  }
  if (!request.force)
    return reply_error(std::move(client),
                       Error::explained(who + " is running: stop it first, or remove it with 'tproc rm -f'", EBUSY));
  // A service's tproc belongs to its supervisor, which would restart or report it.
  if (record.supervised)
    return reply_error(std::move(client),
                       Error::explained(who + " is a service of the space's app: 'tproc down' stops it", EBUSY));
  if (record.exit_waiters.size() >= kMaxExitWaiters)
    return reply_error(std::move(client), Error::explained(who + " already has " + std::to_string(kMaxExitWaiters) +
                                                               " clients waiting for it",
                                                           EAGAIN));
  if (auto sent = record.child->send_signal(SIGKILL); !sent) return reply_error(std::move(client), sent.error());
  if (record.paused) (void)set_paused(record, false);  // a frozen task dies only once thawed
  // on_tproc_exit erases the record and then answers: the name is free by the time rm returns.
  record.auto_remove = true;
  record.exit_waiters.push_back({std::move(client->connection), true});
}

}  // namespace tproc::space
