#pragma once

#include "protocol/messages.hpp"

namespace tproc::cli {

/// A tproc's state as ps, stats and inspect name it: running, paused (by `tproc pause`) or exited.
inline const char* state_name(const protocol::TprocInfo& tproc) {
  if (!tproc.running) return "exited";
  return tproc.paused ? "paused" : "running";
}

}  // namespace tproc::cli
