#pragma once
// Signal names as users type them: "TERM", "SIGTERM", "15".

#include <string>

#include "common/result.hpp"

namespace tproc::cli {

/// Parses a signal given by name (with or without SIG) or number.
Result<int> parse_signal(const std::string& text);

}  // namespace tproc::cli
