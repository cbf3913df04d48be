// open: hand a client a tproc's pidfd (to signal and wait on it) and its log (to read it).

#include <fcntl.h>

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::OpenRequest request) {
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  TprocRecord& record = **found;

  std::vector<int> fds;
  if (record.running()) fds.push_back(record.child->pidfd());
  UniqueFd log;
  if (!record.log_path.empty()) {
    log.reset(::open(record.log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!log) return reply_error(std::move(client), Error::from_errno("open log " + record.log_path));
    fds.push_back(log.get());
  }
  reply(std::move(client), protocol::Opened{record.info(), log.valid()}, fds);
}

}  // namespace tproc::space
