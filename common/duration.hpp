#pragma once
// Durations as compose files and docker's options spell them.

#include <chrono>
#include <string_view>

#include "common/result.hpp"

namespace tproc {

/// Parses a duration: "10s", "500ms", "1m30s", "2h", or a plain number of seconds ("1.5").
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace tproc
