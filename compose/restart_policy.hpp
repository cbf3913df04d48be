#pragma once
// Restart decisions: whether a service's tproc that ended is started again, and after how long.
//
// - `no`: never. `always`: whatever the exit. `on-failure[:max]`: after a non-zero exit (or death
//   by a signal), at most `max` times in a row. `unless-stopped`: like `always`, except after
//   SIGTERM or SIGINT — how `tproc stop`, `tproc kill` by default and Ctrl-C end a program — so a
//   service a user stopped by hand stays stopped.
// - Backoff: 100 ms before the first restart, doubling up to 30 s; a run that lasted 10 s or more
//   counts as healthy and starts the doubling over.

#include <chrono>
#include <cstdint>

#include "compose/compose_manifest.hpp"

namespace tproc::compose {

/// A run lasting at least this long resets the backoff.
inline constexpr std::chrono::seconds kHealthyRun{10};

/// Whether a tproc that ended with shell-style `status` is started again, when the service has
/// been restarted `failures` times in a row already (the count `on-failure:max` bounds).
bool should_restart(const RestartPolicy& policy, int status, uint32_t failures);

/// The delay before the restart that follows `consecutive` quick ones (0: the first).
std::chrono::milliseconds backoff(uint32_t consecutive);

}  // namespace tproc::compose
