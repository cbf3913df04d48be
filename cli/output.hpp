#pragma once
// Output helpers shared by the commands: aligned tables, JSON strings, human times.

#include <cstdint>
#include <string>
#include <vector>

namespace tproc::cli {

/// Prints rows under headers, columns padded to their widest cell, every cell escaped for the
/// terminal (common/printable.hpp: terminal_text).
void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

/// `text` as a quoted JSON string.
std::string json_string(const std::string& text);

/// "5 seconds ago", "3 minutes ago"...
std::string time_ago(int64_t unix_time);

/// RFC 3339 UTC ("2026-11-25T15:04:05Z").
std::string rfc3339(int64_t unix_time);

}  // namespace tproc::cli
