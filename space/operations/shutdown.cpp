// space rm: stop the daemon, but never under running programs.

#include "space/daemon.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::ShutdownRequest) {
  if (size_t running = tprocs_.running_count(); running > 0)
    return reply_error(std::move(client), Error::explained(std::to_string(running) + " tproc(s) still running in space '" + space_ + "'", EBUSY));
  reply(std::move(client), protocol::Done{});
  loop_->stop();
}

}  // namespace tproc::space
