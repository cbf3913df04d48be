// pause / unpause: freeze or thaw every thread of tprocs (space/freezer_cgroups.hpp).

#include <set>

#include "space/daemon.hpp"

namespace tproc::space {

Result<void> Daemon::set_paused(TprocRecord& record, bool pause) {
  if (!pause) {
    if (!record.paused) return ok();
    TPROC_TRY(freezer_->thaw(record.id));
    record.paused = false;
    return ok();
  }
  if (record.paused) return ok();
  if (!freezer_) freezer_.emplace(TPROC_TRY(FreezerCgroups::create(space_)));
  TPROC_TRY(freezer_->freeze(record.id, record.pid));
  record.paused = true;
  return ok();
}

void Daemon::handle(std::unique_ptr<Client> client, protocol::PauseRequest request) {
  const char* verb = request.pause ? "pause" : "unpause";
  // Every target is found before any is touched: a typo pauses nothing.
  std::vector<TprocRecord*> chosen;
  std::set<uint64_t> seen;
  // With no target, every tproc that the change applies to; a named one it does not apply to is
  // refused, as docker refuses to pause a paused container or unpause a running one.
  if (request.targets.empty()) {
    for (const auto& [_, record] : tprocs_.records())
      if (record->running() && record->paused != request.pause) chosen.push_back(record.get());
  }
  for (const std::string& target : request.targets) {
    auto found = tprocs_.find(target, space_);
    if (!found) return reply_error(std::move(client), found.error());
    TprocRecord& record = **found;
    if (!record.running())
      return reply_error(std::move(client), Error::explained(std::string(verb) + ": tproc " + std::to_string(record.id) + " (" +
                                                      record.name + ") is not running", ESRCH));
    if (record.paused == request.pause)
      return reply_error(std::move(client), Error::explained(std::string(verb) + ": tproc " + std::to_string(record.id) + " (" +
                                                      record.name + ") is " + (request.pause ? "already paused" : "not paused"),
                                                  request.pause ? EALREADY : EINVAL));
    if (seen.insert(record.id).second) chosen.push_back(&record);
  }
  for (TprocRecord* record : chosen)
    if (auto done = set_paused(*record, request.pause); !done)
      return reply_error(std::move(client),
                         Error::explained(std::string(verb) + " tproc " + std::to_string(record->id) + " (" + record->name +
                                              "): " + done.error().describe(),
                                          done.error().code()));
  reply(std::move(client), protocol::Done{});
}

}  // namespace tproc::space
