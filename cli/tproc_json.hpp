#pragma once
// The JSON fields of one tproc, as every verb that lists tprocs prints them (`ps`, an app's `ps`):
// one schema whatever the tproc's state, numbers as numbers, null for what does not apply.

#include <string>

#include "protocol/messages.hpp"

namespace tproc::cli {

/// `"id": N, "name": ..., "pid": N, "state": ..., "exit_status": N|null, "detached": ..., "started":
/// ..., "command": ..., "bundle": {"name", "digest"}|null, "labels": {...}`, without braces.
std::string tproc_json_fields(const protocol::TprocInfo& tproc);

/// The same keys, every value null but `name` and `state` ("none"): a row that has no tproc (a
/// service whose replica is not running), so that it has the fields every other row has.
std::string no_tproc_json_fields(const std::string& name);

}  // namespace tproc::cli
