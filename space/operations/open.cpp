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
  std::vector<UniqueFd> log;
  if (record.log) {
    // What it wrote up to now is in the index before the client reads it.
    if (record.log_sampler) record.log_sampler->sample();
    for (const std::string* path : {&record.log->out, &record.log->err, &record.log->index}) {
      log.emplace_back(::open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!log.back()) return reply_error(std::move(client), Error::from_errno("open log " + *path));
      fds.push_back(log.back().get());
    }
  }
  reply(std::move(client), protocol::Opened{record.info(), !log.empty()}, fds);
}

}  // namespace tproc::space
