#pragma once
// `tproc inspect SPACE ID|NAME`: one program of a space as JSON, from the daemon's record of it,
// its counters (as `tproc stats` reads them) and the endpoints it owns.

#include <string>

#include "common/result.hpp"

namespace tproc::cli {

/// Prints tproc `target` (id or name) of `space` as one JSON object.
Result<void> print_tproc_inspection(const std::string& space, const std::string& target);

}  // namespace tproc::cli
