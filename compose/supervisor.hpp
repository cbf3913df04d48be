#pragma once
// Supervisor: the process that keeps one app what its spec says (the reconciler).
//
// `tproc up` writes the app's spec (compose/app_spec.hpp) and asks the supervisor, over its socket
// (compose/supervisor_link.hpp), to apply it. The supervisor is a single-threaded poll loop:
// - it starts each service once its dependencies are met (`started`; `ready`: the endpoints the
//   service's bundle declares are ready in the registry, learned from a tproc-ready-wait helper
//   that sleeps on the registry's futex inside the space; `completed_successfully`), services
//   that do not wait for each other in the same pass; a dependency that fails or times out blocks
//   its dependents, with the reason;
// - it learns of every exit from the tproc's pidfd and applies the restart policy with backoff;
// - it stops services (stop_signal, then SIGKILL after stop_grace_period) in reverse dependency
//   order for `down`, and only the changed or removed ones when a new spec arrives;
// - after every change it records the app's state (compose/app_state.hpp) for `tproc ps`.
// Services run detached in the space: the daemon keeps their output (`tproc logs SPACE SERVICE`)
// and the supervisor never holds their stdio, so it can be restarted without touching them.

#include <memory>
#include <string>

#include "common/result.hpp"
#include "space/space_paths.hpp"

namespace tproc::compose {

class SupervisorLoop;

/// The supervisor of the app of one space.
class Supervisor {
 public:
  /// Takes the app's lock (EEXIST "space 'x' already has a supervisor") and listens on its socket.
  /// `ready_wait_program` is the tproc-ready-wait helper's path.
  static Result<std::unique_ptr<Supervisor>> create(const space::SpacePaths& paths, const std::string& space,
                                                    const std::string& ready_wait_program);
  ~Supervisor();

  /// Serves until a `down` (or SIGTERM/SIGINT, taken as one) has stopped every service.
  Result<void> serve();

 private:
  explicit Supervisor(std::unique_ptr<SupervisorLoop> loop);
  std::unique_ptr<SupervisorLoop> loop_;
};

}  // namespace tproc::compose
