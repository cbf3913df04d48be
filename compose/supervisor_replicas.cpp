// Replicas: starting them through the space daemon, learning how they ended, restarting with
// backoff, and the readiness helper that watches a service's endpoints.

#include "compose/supervisor_loop.hpp"

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <string>

#include "compose/restart_policy.hpp"

namespace tproc::compose {

void SupervisorLoop::start_unit(Unit& unit) {
  unit.phase = Phase::active;
  unit.replicas.clear();
  unit.replicas.resize(unit.spec.service.replicas);
  for (size_t i = 0; i < unit.replicas.size(); ++i)
    unit.replicas[i].name = unit.replicas.size() == 1 ? unit.name() : unit.name() + "." + std::to_string(i + 1);
  dirty_ = true;
  for (size_t i = 0; i < unit.replicas.size(); ++i) start_replica(unit, i, false);
}

void SupervisorLoop::start_replica(Unit& unit, size_t index, bool restart) {
  Replica& replica = unit.replicas[index];
  if (restart) ++unit.restarts;
  dirty_ = true;
  auto launched = launch_service(paths_, app_.space(), unit.spec, replica.name, base_env_, directory_of(spec_.compose_file));
  if (!launched) {
    replica.start_failed = true;
    say(replica.name + ": could not start: " + launched.error().describe());
    if (launched.error().code() == ESRCH) {  // the space is gone: nothing to restart into
      replica.finished = true;
      replica.failed = true;
      replica.last_exit = unit.last_exit = 125;
      return;
    }
    handle_end(unit, replica, 125);
    return;
  }
  replica.start_failed = false;
  replica.id = launched->id;
  replica.pid = launched->pid;
  replica.pidfd = std::move(launched->pidfd);
  replica.running = true;
  replica.ever_started = true;
  replica.finished = false;
  replica.failed = false;
  replica.signaled = false;
  replica.killed = false;
  replica.kill_at.reset();
  replica.started_at = Clock::now();
  say(replica.name + ": started (tproc " + std::to_string(replica.id) + (restart ? ", restart " + std::to_string(unit.restarts) : "") + ")");
  announce(unit, replica);
  if (index == 0 && !unit.spec.endpoints.empty()) {
    unit.ready = false;
    unit.ready_failed = false;
    start_waiter(unit, replica);
  }
}

void SupervisorLoop::handle_end(Unit& unit, Replica& replica, int status) {
  replica.last_exit = unit.last_exit = status;
  dirty_ = true;
  if (unit.retiring || replica.signaled) {
    replica.finished = true;
    say(replica.name + ": stopped (" + describe_exit(status) + ")");
    return;
  }
  const auto now = Clock::now();
  if (should_restart(unit.spec.service.restart, status, replica.failures)) {
    if (replica.ever_started && !replica.start_failed && now - replica.started_at >= kHealthyRun) replica.quick_restarts = 0;
    const milliseconds delay = backoff(replica.quick_restarts++);
    replica.failures = status != 0 ? replica.failures + 1 : 0;
    replica.restart_at = now + delay;
    say(replica.name + ": " + describe_exit(status) + "; restarting in " + describe_duration(delay) + " (restart: " +
        to_string(unit.spec.service.restart) + ")");
    return;
  }
  replica.finished = true;
  replica.failed = status != 0;
  say(replica.name + ": " + describe_exit(status));
}

void SupervisorLoop::on_replica_exit(Unit& unit, Replica& replica) {
  replica.running = false;
  replica.pidfd.reset();
  auto status = exit_status_of(paths_, app_.space(), replica.id);
  if (!status) say(replica.name + ": exit status unknown: " + status.error().describe());
  if (&replica == &unit.replicas[0] && unit.waiter) stop_waiter(unit);
  unit.ready = false;
  handle_end(unit, replica, status ? *status : 255);
}

void SupervisorLoop::start_waiter(Unit& unit, const Replica& replica) {
  protocol::RunRequest request;
  request.argv = {ready_wait_program_, "--owner", std::to_string(replica.pid)};
  request.argv.insert(request.argv.end(), unit.spec.endpoints.begin(), unit.spec.endpoints.end());
  request.execfn = ready_wait_program_;
  request.default_name = unit.name() + "-ready";  // a name of ours, not a user's unique one
  request.cwd = "/";
  auto fail = [&](const std::string& what) {
    unit.ready_failed = true;
    unit.ready_failure = what;
    say(unit.name() + ": cannot watch its endpoints: " + what);
  };
  UniqueFd program(::open(ready_wait_program_.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!program) return fail(Error::from_errno(ready_wait_program_).describe());
  auto started = start_in_space(paths_, app_.space(), request, {program.get(), null.get(), null.get(), null.get()});
  if (!started) return fail(started.error().describe());
  unit.waiter = ReadyWaiter{std::move(started->connection), std::move(started->tproc.pidfd)};
}

void SupervisorLoop::stop_waiter(Unit& unit) {
  if (!unit.waiter) return;
  pidfd_signal(unit.waiter->pidfd.get(), SIGKILL);
  unit.waiter.reset();  // the daemon also ends an attached tproc whose client hung up
}

void SupervisorLoop::on_waiter(Unit& unit) {
  auto received = unit.waiter->connection->receive();
  unit.waiter.reset();
  dirty_ = true;
  const protocol::Exited* exited = received && *received ? std::get_if<protocol::Exited>(&(*received)->message) : nullptr;
  if (exited && !exited->killed && exited->value == 0) {
    unit.ready = true;
    std::string names;
    for (const std::string& endpoint : unit.spec.endpoints) names += (names.empty() ? "" : ", ") + endpoint;
    say(unit.name() + ": ready (" + names + ")");
    return;
  }
  unit.ready_failed = true;
  unit.ready_failure = exited ? "its readiness check " + describe_exit(exited->killed ? 128 + exited->value : exited->value)
                              : "its readiness check ended without a status";
  say(unit.name() + ": " + unit.ready_failure);
}

}  // namespace tproc::compose
