#include "compose/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <vector>

#include "compose/app_paths.hpp"
#include "compose/app_spec.hpp"
#include "compose/app_state.hpp"
#include "compose/dependency_graph.hpp"
#include "compose/restart_policy.hpp"
#include "compose/service_launcher.hpp"
#include "compose/supervisor_link.hpp"

namespace tproc::compose {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

/// `ready` waits this long unless the dependency says otherwise; other conditions wait forever.
constexpr milliseconds kDefaultReadyTimeout{60000};

int pidfd_signal(int pidfd, int signal) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0)); }

std::string describe_duration(milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", static_cast<double>(ms) / 1000);
  return text;
}

std::string describe_exit(int status) {
  if (status > 128 && status < 128 + 32) return "killed by SIG" + signal_name(status - 128);
  return "exited with status " + std::to_string(status);
}

std::string directory_of(const std::string& file) {
  const size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

}  // namespace

/// One replica of a service: the latest tproc started for it.
struct Replica {
  std::string name;  ///< the tproc's name: the service's, or SERVICE.N with several replicas
  uint64_t id = 0;
  pid_t pid = 0;
  UniqueFd pidfd;
  bool running = false;
  bool ever_started = false;
  bool finished = false;      ///< ended and will not be restarted
  bool failed = false;        ///< finished on its own with a non-zero status (or never started)
  bool start_failed = false;  ///< the latest start attempt failed
  Clock::time_point started_at{};
  std::optional<Clock::time_point> restart_at;
  uint32_t quick_restarts = 0;  ///< restarts in a row after short runs: the backoff's exponent
  uint32_t failures = 0;        ///< restarts in a row after failures: what on-failure:max bounds
  std::optional<int> last_exit;
  bool signaled = false;  ///< we asked it to stop
  std::optional<Clock::time_point> kill_at;
  bool killed = false;
};

/// The tproc-ready-wait helper running for a service's first replica.
struct ReadyWaiter {
  std::optional<protocol::Connection> connection;  ///< the attached run: Exited arrives here
  UniqueFd pidfd;
};

enum class Phase { waiting, active, blocked, stopped };

/// One service as the supervisor runs it.
struct Unit {
  ServiceSpec spec;
  std::string definition;
  Phase phase = Phase::waiting;
  Clock::time_point waiting_since = Clock::now();
  std::vector<Replica> replicas;
  uint32_t restarts = 0;
  std::optional<int> last_exit;
  std::string reason;  ///< why it is blocked
  bool ready = false;
  bool ready_failed = false;
  std::string ready_failure;
  bool retiring = false;  ///< being stopped for good (down, removed, replaced)
  std::optional<ReadyWaiter> waiter;

  const std::string& name() const { return spec.service.name; }
  bool alive() const {
    return waiter.has_value() || std::any_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.running; });
  }
  bool all_finished() const {
    return !replicas.empty() && std::all_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.finished; });
  }
  bool failed() const {
    return phase == Phase::blocked || std::any_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.failed; });
  }
};

/// A connection from `tproc up` or `tproc down`.
struct Client {
  SupervisorLink link;
  bool closed = false;
  bool awaiting_settle = false;
  bool follow = false;
  bool finished_sent = false;
  bool awaiting_down = false;
};

/// Everything the supervisor holds; Supervisor is its public face.
class SupervisorLoop {
 public:
  SupervisorLoop(space::SpacePaths paths, AppPaths app, std::string ready_wait_program)
      : paths_(std::move(paths)), app_(std::move(app)), ready_wait_program_(std::move(ready_wait_program)) {}

  Result<void> open();
  Result<void> serve();

 private:
  // Talking to clients.
  void say(const std::string& text);
  void announce(const Unit& unit, const Replica& replica);
  void on_client(Client& client);
  void on_command(Client& client, const Record& command);
  void apply(AppSpec spec);
  void begin_down();

  // Running services.
  void step();
  void start_unit(Unit& unit);
  void start_replica(Unit& unit, size_t index, bool restart);
  void handle_end(Unit& unit, Replica& replica, int status);
  void on_replica_exit(Unit& unit, Replica& replica);
  void start_waiter(Unit& unit, const Replica& replica);
  void stop_waiter(Unit& unit);
  void on_waiter(Unit& unit);
  void stop_replicas(Unit& unit);
  enum class Verdict { pending, met, failed };
  Verdict evaluate(const Unit& unit, const Dependency& dependency, std::string& reason, std::optional<Clock::time_point>& deadline) const;

  // Looking things up.
  Unit* find_unit(const std::string& name);
  bool depended_on_by_retiring(const Unit& unit) const;
  bool settled() const;
  bool finished() const;
  bool any_failed() const;
  bool anything_alive() const;
  std::optional<Clock::time_point> next_deadline() const;
  void save_state();

  space::SpacePaths paths_;
  AppPaths app_;
  std::string ready_wait_program_;
  UniqueFd lock_;
  UniqueFd listener_;
  UniqueFd signals_;
  std::vector<std::string> base_env_ = base_environment();

  AppSpec spec_;
  std::optional<DependencyGraph> graph_;
  std::vector<std::unique_ptr<Unit>> units_;    ///< the current services, in start order
  std::vector<std::unique_ptr<Unit>> retired_;  ///< removed or replaced ones, until they have stopped
  std::vector<std::unique_ptr<Client>> clients_;
  bool down_ = false;
  bool dirty_ = true;
};

Result<void> SupervisorLoop::open() {
  TPROC_TRY(app_.prepare());
  lock_.reset(::open(app_.lock().c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock_) return Error::from_errno("open " + app_.lock());
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return Error::explained("space '" + app_.space() + "' already has a supervisor", EEXIST);
    return Error::from_errno("lock " + app_.lock());
  }
  // We hold the lock: a socket file left behind belongs to a supervisor that died.
  const std::string path = app_.socket();
  ::unlink(path.c_str());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return Error("socket path too long: " + path, ENAMETOOLONG);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener_) return Error::from_errno("socket");
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0)
    return Error::from_errno("bind " + path);
  if (::listen(listener_.get(), 16) < 0) return Error::from_errno("listen " + path);

  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_) return Error::from_errno("signalfd");
  return ok();
}

void SupervisorLoop::say(const std::string& text) {
  char stamp[32];
  const time_t now = ::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%FT%TZ", std::gmtime(&now));
  std::fprintf(stderr, "%s %s\n", stamp, text.c_str());
  for (auto& client : clients_)
    if (!client->closed && (client->awaiting_settle || client->follow || client->awaiting_down))
      if (!client->link.send({"say", text})) client->closed = true;
}

void SupervisorLoop::announce(const Unit& unit, const Replica& replica) {
  for (auto& client : clients_)
    if (!client->closed && client->follow)
      if (!client->link.send({"tproc", unit.name(), std::to_string(replica.id), replica.name})) client->closed = true;
}

Unit* SupervisorLoop::find_unit(const std::string& name) {
  for (auto& unit : units_)
    if (unit->name() == name) return unit.get();
  return nullptr;
}

void SupervisorLoop::apply(AppSpec spec) {
  auto graph = DependencyGraph::create(
      [&] {
        std::vector<Service> services;
        for (const ServiceSpec& service : spec.services) services.push_back(service.service);
        return services;
      }(),
      spec.compose_file);
  if (!graph) {
    say("error: " + graph.error().describe());
    return;
  }
  // Services that are gone or changed stop (and changed ones start again once stopped); the rest
  // keep running untouched. One that failed or could not start is started again; one that
  // completed is left alone (a client that did its work), unless the whole app has ended, in which
  // case `up` runs it all again.
  auto over = [](const std::unique_ptr<Unit>& unit) {
    return unit->phase != Phase::waiting && !unit->alive() &&
           std::none_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.restart_at.has_value(); });
  };
  const bool app_ended = !units_.empty() && std::all_of(units_.begin(), units_.end(), over);
  std::vector<std::unique_ptr<Unit>> next;
  for (const std::string& name : graph->start_order()) {
    const ServiceSpec& wanted = *spec.find(name);
    const std::string definition = wanted.definition();
    std::unique_ptr<Unit> unit;
    for (auto& current : units_)
      if (current && current->name() == name) unit = std::move(current);
    if (unit && unit->definition != definition) {
      say(name + ": definition changed: replacing it");
      unit->retiring = true;
      retired_.push_back(std::move(unit));
    } else if (unit && over(unit) && (unit->failed() || app_ended)) {
      say(name + ": " + (unit->failed() ? "did not run to success" : "has ended") + ": starting it again");
      unit->retiring = true;  // nothing of it runs: this only clears its record
      retired_.push_back(std::move(unit));
    }
    if (!unit) {
      unit = std::make_unique<Unit>();
      unit->definition = definition;
    }
    unit->spec = wanted;
    next.push_back(std::move(unit));
  }
  for (auto& removed : units_) {
    if (!removed) continue;
    say(removed->name() + ": removed from the app: stopping it");
    removed->retiring = true;
    retired_.push_back(std::move(removed));
  }
  units_ = std::move(next);
  spec_ = std::move(spec);
  graph_ = std::move(*graph);
  dirty_ = true;
}

void SupervisorLoop::begin_down() {
  if (down_) return;
  down_ = true;
  say("stopping " + spec_.name + " (in reverse dependency order)");
  for (auto& unit : units_) unit->retiring = true;
  dirty_ = true;
}

bool SupervisorLoop::depended_on_by_retiring(const Unit& unit) const {
  auto waits_for_it = [&](const std::unique_ptr<Unit>& other) {
    if (!other || other.get() == &unit || !other->retiring || !other->alive()) return false;
    for (const Dependency& dependency : other->spec.service.depends_on)
      if (dependency.service == unit.name()) return true;
    return false;
  };
  return std::any_of(units_.begin(), units_.end(), waits_for_it) || std::any_of(retired_.begin(), retired_.end(), waits_for_it);
}

void SupervisorLoop::stop_replicas(Unit& unit) {
  const auto now = Clock::now();
  for (Replica& replica : unit.replicas) {
    replica.restart_at.reset();
    if (!replica.running) {
      replica.finished = true;
      continue;
    }
    if (replica.signaled) continue;
    replica.signaled = true;
    replica.kill_at = now + unit.spec.service.stop_grace_period;
    say(replica.name + ": stopping (SIG" + signal_name(unit.spec.service.stop_signal) + ", SIGKILL after " +
        describe_duration(unit.spec.service.stop_grace_period) + ")");
    pidfd_signal(replica.pidfd.get(), unit.spec.service.stop_signal);
  }
}

void SupervisorLoop::step() {
  const auto now = Clock::now();
  auto each_unit = [&](const std::function<void(Unit&)>& action) {
    for (auto& unit : units_) action(*unit);
    for (auto& unit : retired_) action(*unit);
  };

  // Stopping: a retiring service stops once nothing retiring that depends on it still runs;
  // whatever outlives its grace period is killed.
  each_unit([&](Unit& unit) {
    if (!unit.retiring) return;
    if (unit.phase == Phase::waiting) {
      unit.phase = Phase::stopped;
      dirty_ = true;
    }
    if (unit.waiter) stop_waiter(unit);
    if (!depended_on_by_retiring(unit)) stop_replicas(unit);
    else
      for (Replica& replica : unit.replicas) replica.restart_at.reset();
    for (Replica& replica : unit.replicas) {
      if (replica.running && replica.kill_at && !replica.killed && *replica.kill_at <= now) {
        replica.killed = true;
        say(replica.name + ": still running after " + describe_duration(unit.spec.service.stop_grace_period) + ": SIGKILL");
        pidfd_signal(replica.pidfd.get(), SIGKILL);
      }
      if (!replica.running && !replica.finished) replica.finished = true;
    }
  });

  // Restarts that are due.
  for (auto& unit : units_)
    for (size_t i = 0; i < unit->replicas.size(); ++i)
      if (!unit->retiring && unit->replicas[i].restart_at && *unit->replicas[i].restart_at <= now) {
        unit->replicas[i].restart_at.reset();
        start_replica(*unit, i, true);
      }

  // Waiting services whose dependencies are met start; those whose dependencies failed are blocked.
  // One pass in start order, so a chain of `started` dependencies starts in one step.
  for (auto& unit : units_) {
    if (unit->phase != Phase::waiting || unit->retiring) continue;
    // A replaced service's new tprocs take its names: they wait until the old ones are gone.
    const bool predecessor_alive = std::any_of(retired_.begin(), retired_.end(), [&](const std::unique_ptr<Unit>& old) {
      return old->name() == unit->name() && old->alive();
    });
    if (predecessor_alive) continue;
    bool all_met = true;
    std::string reason;
    for (const Dependency& dependency : unit->spec.service.depends_on) {
      std::optional<Clock::time_point> deadline;
      const Verdict verdict = evaluate(*unit, dependency, reason, deadline);
      if (verdict == Verdict::failed) {
        unit->phase = Phase::blocked;
        unit->reason = reason;
        dirty_ = true;
        say(unit->name() + ": not started: " + reason);
        break;
      }
      if (verdict == Verdict::pending) all_met = false;
    }
    if (unit->phase == Phase::waiting && all_met) start_unit(*unit);
  }

  // Retired services that have stopped are forgotten.
  std::erase_if(retired_, [](const std::unique_ptr<Unit>& unit) { return !unit->alive(); });

  // Answers, once the state file says what they announce (a client may run `ps` next).
  if (dirty_) save_state();
  for (auto& client : clients_) {
    if (client->closed) continue;
    if (client->awaiting_settle && settled()) {
      client->awaiting_settle = false;
      if (client->follow)
        for (auto& unit : units_)
          for (const Replica& replica : unit->replicas)
            if (replica.ever_started)
              if (!client->link.send({"tproc", unit->name(), std::to_string(replica.id), replica.name})) client->closed = true;
      bool could_not_start = false;
      for (auto& unit : units_)
        could_not_start |= unit->phase == Phase::blocked ||
                           std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.start_failed && r.finished; });
      if (!client->link.send({"settled", could_not_start ? "1" : "0"})) client->closed = true;
      if (!client->follow) client->closed = true;
    }
    if (client->follow && !client->awaiting_settle && !client->finished_sent && !down_ && finished()) {
      client->finished_sent = true;
      if (!client->link.send({"finished", any_failed() ? "1" : "0"})) client->closed = true;
    }
  }
  std::erase_if(clients_, [](const std::unique_ptr<Client>& client) { return client->closed; });
}

SupervisorLoop::Verdict SupervisorLoop::evaluate(const Unit& unit, const Dependency& dependency, std::string& reason,
                                                 std::optional<Clock::time_point>& deadline) const {
  const Unit* target = nullptr;
  for (const auto& candidate : units_)
    if (candidate->name() == dependency.service) target = candidate.get();
  if (!target) {
    reason = "unknown service '" + dependency.service + "'";
    return Verdict::failed;
  }
  const std::string& name = target->name();
  auto last_exit = [&] { return target->last_exit ? describe_exit(*target->last_exit) : std::string("ended"); };
  if (target->phase == Phase::blocked) {
    reason = "its dependency " + name + " was not started (" + target->reason + ")";
    return Verdict::failed;
  }
  if (target->phase == Phase::stopped) {
    reason = "its dependency " + name + " was stopped";
    return Verdict::failed;
  }
  if (target->phase == Phase::active) {
    const bool all_finished = target->all_finished();
    switch (dependency.condition) {
      case Condition::started:
        if (std::all_of(target->replicas.begin(), target->replicas.end(), [](const Replica& r) { return r.ever_started; }))
          return Verdict::met;
        if (all_finished) {
          reason = name + " could not start";
          return Verdict::failed;
        }
        break;
      case Condition::ready:
        if (target->ready) return Verdict::met;
        if (target->ready_failed) {
          reason = name + " never became ready: " + target->ready_failure;
          return Verdict::failed;
        }
        if (all_finished) {
          reason = name + " " + last_exit() + " before it was ready";
          return Verdict::failed;
        }
        break;
      case Condition::completed_successfully:
        if (all_finished) {
          if (std::all_of(target->replicas.begin(), target->replicas.end(), [](const Replica& r) { return r.last_exit == 0; }))
            return Verdict::met;
          reason = name + " did not complete successfully: " + last_exit();
          return Verdict::failed;
        }
        break;
    }
  }
  const std::optional<milliseconds> limit =
      dependency.timeout ? dependency.timeout : dependency.condition == Condition::ready ? std::optional(kDefaultReadyTimeout) : std::nullopt;
  if (limit) {
    deadline = unit.waiting_since + *limit;
    if (Clock::now() >= *deadline) {
      const char* what = dependency.condition == Condition::ready     ? "become ready"
                         : dependency.condition == Condition::started ? "start"
                                                                      : "complete";
      reason = name + " did not " + what + " within " + describe_duration(*limit);
      return Verdict::failed;
    }
  }
  return Verdict::pending;
}

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
  request.name = unit.name() + "-ready";
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

bool SupervisorLoop::settled() const {
  return std::none_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) { return unit->phase == Phase::waiting; });
}

bool SupervisorLoop::finished() const {
  return settled() && std::all_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) {
           return unit->phase != Phase::active || unit->all_finished();
         });
}

bool SupervisorLoop::any_failed() const {
  return std::any_of(units_.begin(), units_.end(), [](const std::unique_ptr<Unit>& unit) { return unit->failed(); });
}

bool SupervisorLoop::anything_alive() const {
  auto alive = [](const std::unique_ptr<Unit>& unit) { return unit->alive(); };
  return std::any_of(units_.begin(), units_.end(), alive) || std::any_of(retired_.begin(), retired_.end(), alive);
}

std::optional<Clock::time_point> SupervisorLoop::next_deadline() const {
  std::optional<Clock::time_point> next;
  auto consider = [&](std::optional<Clock::time_point> at) {
    if (at && (!next || *at < *next)) next = at;
  };
  auto each = [&](const std::unique_ptr<Unit>& unit) {
    for (const Replica& replica : unit->replicas) {
      consider(replica.restart_at);
      if (replica.running && !replica.killed) consider(replica.kill_at);
    }
    if (unit->phase == Phase::waiting)
      for (const Dependency& dependency : unit->spec.service.depends_on) {
        std::string reason;
        std::optional<Clock::time_point> deadline;
        if (evaluate(*unit, dependency, reason, deadline) == Verdict::pending) consider(deadline);
      }
  };
  for (const auto& unit : units_) each(unit);
  for (const auto& unit : retired_) each(unit);
  return next;
}

void SupervisorLoop::save_state() {
  dirty_ = false;
  AppState state;
  state.name = spec_.name;
  state.space = app_.space();
  state.compose_file = spec_.compose_file;
  state.supervisor = ::getpid();
  for (const auto& unit : units_) {
    ServiceState service;
    service.name = unit->name();
    service.restarts = unit->restarts;
    service.last_exit = unit->last_exit;
    service.reason = unit->phase == Phase::blocked ? unit->reason : unit->ready_failed ? unit->ready_failure : "";
    const bool running = std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.running; });
    const bool restarting = std::any_of(unit->replicas.begin(), unit->replicas.end(), [](const Replica& r) { return r.restart_at.has_value(); });
    switch (unit->phase) {
      case Phase::waiting: service.state = "waiting"; break;
      case Phase::blocked: service.state = "blocked"; break;
      case Phase::stopped: service.state = "stopped"; break;
      case Phase::active:
        if (running) service.state = unit->retiring ? "stopping" : unit->spec.endpoints.empty() ? "running" : unit->ready ? "ready" : "starting";
        else if (restarting) service.state = "restarting";
        else if (unit->retiring) service.state = "stopped";
        else service.state = unit->failed() ? "failed" : "completed";
        break;
    }
    for (const Replica& replica : unit->replicas)
      if (replica.ever_started) service.tprocs.push_back(TprocState{replica.id, replica.name, replica.running});
    state.services.push_back(std::move(service));
  }
  if (auto saved = state.save(app_.state()); !saved) std::fprintf(stderr, "save state: %s\n", saved.error().describe().c_str());
}

void SupervisorLoop::on_client(Client& client) {
  auto more = client.link.fill(false);
  while (auto command = client.link.next()) on_command(client, *command);
  if (!more || !*more) client.closed = true;
}

void SupervisorLoop::on_command(Client& client, const Record& command) {
  if (command[0] == "up") {
    client.follow = command.size() > 1 && command[1] == "follow";
    client.awaiting_settle = true;
    if (down_) {
      (void)client.link.send({"say", "the app is going down: run 'tproc up' again once it has stopped"});
      (void)client.link.send({"settled", "1"});
      client.closed = true;
      return;
    }
    auto spec = AppSpec::load(app_.spec());
    if (!spec) {
      (void)client.link.send({"say", "error: " + spec.error().describe()});
      (void)client.link.send({"settled", "1"});
      client.closed = true;
      return;
    }
    apply(std::move(*spec));
  } else if (command[0] == "down") {
    client.follow = false;
    client.awaiting_settle = false;
    client.awaiting_down = true;
    begin_down();
  } else {
    (void)client.link.send({"say", "unknown command '" + command[0] + "'"});
    client.closed = true;
  }
}

Result<void> SupervisorLoop::serve() {
  for (;;) {
    step();
    if (dirty_) save_state();
    if (down_ && !anything_alive()) break;

    std::vector<pollfd> watched{{listener_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
    std::vector<std::function<void()>> handlers{
        [&] {
          for (;;) {
            UniqueFd accepted(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!accepted) break;
            ucred peer{};
            socklen_t size = sizeof(peer);
            if (::getsockopt(accepted.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) < 0 || peer.uid != ::getuid()) continue;
            clients_.push_back(std::make_unique<Client>(Client{SupervisorLink(std::move(accepted))}));
          }
        },
        [&] {
          signalfd_siginfo info{};
          while (::read(signals_.get(), &info, sizeof(info)) == sizeof(info))
            if (info.ssi_signo != SIGHUP) begin_down();
        }};
    for (auto& client : clients_) {
      watched.push_back({client->link.fd(), POLLIN, 0});
      Client* raw = client.get();
      handlers.push_back([this, raw] { on_client(*raw); });
    }
    auto watch_unit = [&](Unit& unit) {
      for (Replica& replica : unit.replicas)
        if (replica.running) {
          watched.push_back({replica.pidfd.get(), POLLIN, 0});
          handlers.push_back([this, &unit, &replica] { on_replica_exit(unit, replica); });
        }
      if (unit.waiter) {
        watched.push_back({unit.waiter->connection->fd(), POLLIN, 0});
        handlers.push_back([this, &unit] {
          if (unit.waiter) on_waiter(unit);
        });
      }
    };
    for (auto& unit : units_) watch_unit(*unit);
    for (auto& unit : retired_) watch_unit(*unit);

    int timeout = -1;
    if (auto deadline = next_deadline()) {
      const auto left = std::chrono::duration_cast<milliseconds>(*deadline - Clock::now()).count();
      timeout = static_cast<int>(std::clamp<long long>(left + 1, 0, 3600000));
    }
    if (::poll(watched.data(), watched.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll");
    }
    for (size_t i = 0; i < watched.size(); ++i)
      if (watched[i].revents) handlers[i]();
  }

  // Down: every service has stopped. Tell whoever asked, forget the app, and go.
  say(spec_.name + ": down");
  ::unlink(app_.state().c_str());
  ::unlink(app_.spec().c_str());
  ::unlink(app_.socket().c_str());
  for (auto& client : clients_)
    if (!client->closed && client->awaiting_down) (void)client->link.send({"down", any_failed() ? "1" : "0"});
  return ok();
}

Supervisor::Supervisor(std::unique_ptr<SupervisorLoop> loop) : loop_(std::move(loop)) {}
Supervisor::~Supervisor() = default;

Result<std::unique_ptr<Supervisor>> Supervisor::create(const space::SpacePaths& paths, const std::string& space,
                                                       const std::string& ready_wait_program) {
  auto loop = std::make_unique<SupervisorLoop>(paths, AppPaths(paths.runtime_dir(), paths.home(), space), ready_wait_program);
  TPROC_TRY(loop->open());
  return std::unique_ptr<Supervisor>(new Supervisor(std::move(loop)));
}

Result<void> Supervisor::serve() { return loop_->serve(); }

}  // namespace tproc::compose
