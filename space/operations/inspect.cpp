// inspect: one tproc, by id or name, with how it was started (argv, environment, directory).

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::InspectRequest request) {
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  const TprocRecord& record = **found;
  protocol::TprocDetail detail;
  detail.tproc = record.info();
  detail.argv = record.argv;
  detail.env = record.env;
  detail.cwd = record.cwd;
  detail.app_argv = record.app_argv;
  detail.restarts = record.restarts;
  reply(std::move(client), detail);
}

}  // namespace tproc::space
