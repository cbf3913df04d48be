#pragma once
// SupervisorLoop: everything the supervisor (compose/supervisor.hpp) holds, and the reconciler
// that runs on it. Its member functions live by concept:
//   supervisor.cpp               the public face, the socket and the poll loop (open, serve)
//   supervisor_clients.cpp       talking to `tproc up`/`down`/`compose restart` (commands, progress lines)
//   supervisor_reconcile.cpp     making the app what its spec says: apply a spec, go down, step
//   supervisor_dependencies.cpp  depends_on verdicts, and what the loop waits for next
//   supervisor_replicas.cpp      starting replicas, their exits and restarts, readiness helpers
//   supervisor_state.cpp         the state file `tproc ps` reads

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "compose/app_paths.hpp"
#include "compose/app_spec.hpp"
#include "compose/dependency_graph.hpp"
#include "compose/service_launcher.hpp"
#include "compose/supervised_unit.hpp"
#include "compose/supervisor_link.hpp"
#include "space/space_paths.hpp"

namespace tproc::compose {

using std::chrono::milliseconds;

/// `ready` waits this long unless the dependency says otherwise; other conditions wait forever.
inline constexpr milliseconds kDefaultReadyTimeout{60000};

/// Sends `signal` to the process behind `pidfd`.
int pidfd_signal(int pidfd, int signal);
/// "5s", "250ms", "1.5s".
std::string describe_duration(milliseconds duration);
/// "exited with status N" or "killed by SIGX", from a shell-style status.
std::string describe_exit(int status);
/// The directory part of a file's path ("." when it has none).
std::string directory_of(const std::string& file);

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
  /// Stops the replicas of `services` (all of them when empty) and starts them again, as the
  /// spec says; false (after telling `client` why) for a service the app does not have.
  bool restart(Client& client, const std::vector<std::string>& services);
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

}  // namespace tproc::compose
