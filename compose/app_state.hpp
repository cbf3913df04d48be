#pragma once
// AppState: what an app is right now — its services, their tprocs, states, restarts and last
// exits — as its supervisor records it after every change, for `tproc ps SPACE` and `tproc down`.
// Lean on purpose (no YAML, no bundles): the `tproc` executable itself reads it.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::compose {

/// One tproc a service started (the latest one of each replica).
struct TprocState {
  uint64_t id = 0;
  std::string name;
  bool running = false;
};

/// One service as `ps` shows it.
struct ServiceState {
  std::string name;
  /// waiting, starting, running, ready, restarting, exited, completed, failed, blocked, stopping, stopped
  std::string state;
  uint32_t restarts = 0;
  std::optional<int> last_exit;  ///< shell-style status of the latest exit (128+N: killed by signal N)
  std::string reason;            ///< why it is blocked or failed, if it is
  std::vector<TprocState> tprocs;
  /// How many replicas the compose file gives it, started or not (0: a state file of a supervisor
  /// that did not record it); `logs` pads every prefix to the longest name the app can have.
  uint32_t replicas = 0;
};

/// The state file of one app.
struct AppState {
  std::string name;
  std::string space;
  std::string compose_file;
  pid_t supervisor = 0;
  std::vector<ServiceState> services;  ///< in start order

  const ServiceState* find(const std::string& service) const;

  Result<void> save(const std::string& path) const;
  /// ENOENT when the space has no app.
  static Result<AppState> load(const std::string& path);
};

}  // namespace tproc::compose
