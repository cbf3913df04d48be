// kill: deliver a signal to a tproc through its pidfd.

#include <signal.h>

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::SignalRequest request) {
  if (request.signal < 0 || request.signal >= NSIG)
    return reply_error(std::move(client), Error("invalid signal " + std::to_string(request.signal), EINVAL));
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  TprocRecord& record = **found;
  if (!record.running())
    return reply_error(std::move(client), Error::explained("tproc " + std::to_string(record.id) + " (" + record.name + ") is not running", ESRCH));
  if (auto sent = record.child->send_signal(request.signal); !sent) return reply_error(std::move(client), sent.error());
  // A frozen task cannot even die (cgroup v1 freezer): SIGKILL thaws it so it does. Other signals
  // wait, pending, until `tproc unpause`, as with `docker pause`.
  if (request.signal == SIGKILL && record.paused) (void)set_paused(record, false);
  reply(std::move(client), protocol::Done{});
}

}  // namespace tproc::space
