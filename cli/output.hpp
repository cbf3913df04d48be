#pragma once
// Output helpers shared by the commands: aligned tables, JSON strings, human times.

#include <cstdint>
#include <string>
#include <vector>

namespace tproc::cli {

/// Prints rows under headers, columns padded to their widest cell, every cell escaped for the
/// terminal (common/printable.hpp: terminal_text).
/// With `max_width` (see terminal_width), the last column is cut so that no line is wider.
void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                 size_t max_width = 0);

/// The width of the terminal on stdout, or 0 when stdout is not a terminal (nothing is cut for a
/// pipe or a file).
size_t terminal_width();

/// A size as docker prints it in tables: decimal units, three significant digits ("4.21MB",
/// "512B", "12.3kB"). JSON keeps exact bytes.
std::string human_size(uint64_t bytes);

/// The same table as text, each line ending in a newline.
std::string table_text(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                       size_t max_width = 0);

/// `text` as a quoted JSON string.
std::string json_string(const std::string& text);

/// "5 seconds ago", "3 minutes ago"...
std::string time_ago(int64_t unix_time);

/// RFC 3339 UTC ("2026-11-25T15:04:05Z").
std::string rfc3339(int64_t unix_time);

}  // namespace tproc::cli
