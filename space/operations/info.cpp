// space ls: what a space is and how busy.

#include <unistd.h>

#include "space/daemon.hpp"
#include "space/memory_attribution.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::InfoRequest) {
  reply(std::move(client),
        protocol::SpaceInfo{space_, ::getpid(), static_cast<uint32_t>(tprocs_.running_count()), options_.reclaim,
                                        resident_bytes()});
}

}  // namespace tproc::space
