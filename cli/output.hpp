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

/// The multiples a size is printed in.
enum class SizeUnits {
  decimal,  ///< B, kB, MB, GB... (powers of 1000): file and image sizes, as `docker images` prints them
  binary,   ///< B, KiB, MiB, GiB... (powers of 1024): memory, as `docker stats` prints it
};

/// A size for a table: the largest unit it reaches, three significant digits ("512B", "12.3kB",
/// "4.21MB"; "200MiB", "1.95KiB"); a value that rounds up to the next unit is printed in it
/// ("1.00MB", not "1000kB"). JSON keeps exact bytes.
std::string human_size(uint64_t bytes, SizeUnits units);

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
