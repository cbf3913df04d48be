// restart: stop detached tprocs as `tproc stop` does and start each again from the request it
// was started with, keeping its id, name and log (`tproc restart`, as docker restart; issue 16).
//
// Nothing here blocks the loop: the SIGTERMs go out at once, the grace period is a timer, and a
// target starts again from on_tproc_exit when its pidfd says it ended — whether the SIGTERM, the
// SIGKILL after the grace, or something else ended it. A target that had exited already starts
// again at once. The client is answered once every target runs again or failed to.

#include <poll.h>
#include <signal.h>
#include <sys/timerfd.h>

#include <algorithm>

#include "space/daemon.hpp"

namespace tproc::space {
namespace {

std::string who(const TprocRecord& record) { return "tproc " + std::to_string(record.id) + " (" + record.name + ")"; }

}  // namespace

Result<void> Daemon::check_restartable(const TprocRecord& record) const {
  // Its stdio was a client's terminal or pipes, gone once that `tproc run` ended.
  if (!record.detached)
    return Error::explained(who(record) + " was started attached; only a detached tproc (run -d) can be restarted", EINVAL);
  if (record.supervised)
    return Error::explained(who(record) + " is a service's tproc of the space's app: use tproc compose restart SERVICE", EINVAL);
  if (record.restart_batch != 0) return Error::explained(who(record) + " is already being restarted", EBUSY);
  for (const TprocRecord::ExitWaiter& waiter : record.exit_waiters)
    if (waiter.removes) return Error::explained(who(record) + " is being removed (tproc rm -f)", EBUSY);
  if (!record.origin)
    return Error::explained(who(record) + " cannot be restarted: the daemon could not keep how it was started (see its log)",
                            ENOTSUP);
  return ok();
}

void Daemon::handle(std::unique_ptr<Client> client, protocol::RestartRequest request) {
  if (request.targets.empty()) return reply_error(std::move(client), Error("malformed request: no tproc to restart", EPROTO));
  // Every target is checked before any is touched: a typo restarts nothing. An exited one's
  // descriptors are gathered now too, so a bundle pruned since it exited refuses the lot.
  PendingRestart batch;
  std::vector<TprocRecord*> running;
  std::vector<std::pair<TprocRecord*, std::vector<UniqueFd>>> exited;
  for (const std::string& target : request.targets) {
    auto found = tprocs_.find(target, space_);
    if (!found) return reply_error(std::move(client), found.error());
    TprocRecord& record = **found;
    batch.targets.push_back(record.id);
    if (!batch.left.insert(record.id).second) continue;  // named twice: restarted once
    if (auto restartable = check_restartable(record); !restartable) return reply_error(std::move(client), restartable.error());
    if (record.running()) {
      running.push_back(&record);
      continue;
    }
    auto fds = record.origin->descriptors(UniqueFd(), who(record));
    if (!fds) return reply_error(std::move(client), fds.error());
    exited.emplace_back(&record, std::move(*fds));
  }
  if (!running.empty()) {
    batch.grace_timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!batch.grace_timer) return reply_error(std::move(client), Error::from_errno("restart: timerfd_create"));
    // A zero it_value disarms a timerfd: no grace at all is the next nanosecond.
    const uint64_t grace_ns = std::max<uint64_t>(1, std::min<uint64_t>(request.grace_ms, 365ULL * 86400 * 1000) * 1'000'000);
    const itimerspec grace{{0, 0}, {static_cast<time_t>(grace_ns / 1'000'000'000), static_cast<long>(grace_ns % 1'000'000'000)}};
    if (::timerfd_settime(batch.grace_timer.get(), 0, &grace, nullptr) != 0)
      return reply_error(std::move(client), Error::from_errno("restart: timerfd_settime"));
  }

  const uint64_t serial = next_restart_++;
  batch.client = std::move(client);
  PendingRestart& stored = restarts_.emplace(serial, std::move(batch)).first->second;
  if (stored.grace_timer)
    stored.grace_watch = loop_->watch(stored.grace_timer.get(), POLLIN, [this, serial](int) { on_restart_grace(serial); });
  for (TprocRecord* record : running) record->restart_batch = serial;
  for (auto& [record, _] : exited) record->restart_batch = serial;
  // As `tproc stop`: SIGTERM, and a paused one thawed right after it so its handler runs now.
  // One that has just exited by itself is started again by on_tproc_exit all the same.
  for (TprocRecord* record : running) {
    (void)record->child->send_signal(SIGTERM);
    if (record->paused) (void)set_paused(*record, false);
  }
  // Last: the batch may be answered, and gone, once the last of them is started.
  for (auto& [record, fds] : exited) finish_restart(*record, relaunch(*record, std::move(fds)));
}

bool Daemon::restart_after_exit(TprocRecord& record, UniqueFd held_lock, const std::vector<TprocRecord::ExitWaiter>& waiters) {
  // `tproc rm -f` while it was being stopped: removing wins, as it would after a plain stop.
  for (const TprocRecord::ExitWaiter& waiter : waiters)
    if (waiter.removes) {
      finish_restart(record, Error::explained(who(record) + " was removed (tproc rm -f) while it restarted", ECANCELED));
      return false;
    }
  auto fds = record.origin->descriptors(std::move(held_lock), who(record));
  Result<void> started = fds ? relaunch(record, std::move(*fds)) : Result<void>(std::move(fds).error());
  const bool runs = started.has_value();
  finish_restart(record, started);
  return runs;
}

Result<void> Daemon::relaunch(TprocRecord& record, std::vector<UniqueFd> fds) {
  const runtime::ExitStatus status = *record.status;
  const pid_t pid = record.pid;
  const int64_t started = record.started;
  record.status.reset();
  ++record.restarts;  // before launch(): a restarted tproc's log is continued, not truncated
  auto launched = launch(record, record.origin->request(), fds);
  if (!launched) {
    // As a failed first start (start_tproc), but the record stays: exited, as it was.
    const pid_t spawned = record.pid;
    if (record.pids_cgroup) {
      pids_cgroups_->remove(record.id);
      retry_pids_cgroups();
    }
    record.child.reset();  // kills and reaps the child, if it was spawned
    record.script.reset();
    record.program.reset();
    record.fixed_image.reset();
    record.in_use_lock.reset();
    record.log_sampler.reset();
    if (spawned > 0 && spawned != pid) withdraw_endpoints(spawned);
    record.status = status;
    record.pid = pid;
    record.started = started;
    --record.restarts;
    return Error(std::move(launched).error()).context("restart " + who(record));
  }
  const uint64_t id = record.id;
  loop_->watch(record.child->pidfd(), POLLIN, [this, id](int) { on_tproc_exit(id); });
  return ok();
}

void Daemon::finish_restart(TprocRecord& record, const Result<void>& started) {
  const uint64_t serial = record.restart_batch;
  record.restart_batch = 0;
  auto found = restarts_.find(serial);
  if (found == restarts_.end()) return;
  PendingRestart& batch = found->second;
  protocol::RestartOutcome& outcome = batch.outcomes[record.id];
  outcome.id = record.id;
  if (started) {
    outcome.pid = record.pid;
  } else {
    outcome.message = started.error().describe();
    outcome.code = started.error().code();
  }
  batch.left.erase(record.id);
  if (!batch.left.empty()) return;
  protocol::Restarted reply_message;
  for (uint64_t id : batch.targets) reply_message.outcomes.push_back(batch.outcomes.at(id));
  if (batch.grace_watch) loop_->cancel(batch.grace_watch);
  std::unique_ptr<Client> client = std::move(batch.client);
  restarts_.erase(found);
  reply(std::move(client), reply_message);
}

void Daemon::on_restart_grace(uint64_t serial) {
  auto found = restarts_.find(serial);
  if (found == restarts_.end()) return;
  found->second.grace_watch = 0;
  for (uint64_t id : found->second.left) {
    TprocRecord* record = tprocs_.get(id);
    if (!record || !record->running() || record->restart_batch != serial) continue;
    (void)record->child->send_signal(SIGKILL);
    if (record->paused) (void)set_paused(*record, false);  // a frozen task dies only once thawed
  }
}

}  // namespace tproc::space
