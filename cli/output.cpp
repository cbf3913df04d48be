#include "cli/output.hpp"

#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cstdio>
#include <ctime>

#include "common/printable.hpp"

namespace tproc::cli {

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                 size_t max_width) {
  std::fputs(table_text(headers, rows, max_width).c_str(), stdout);
}

std::string table_text(const std::vector<std::string>& raw_headers, const std::vector<std::vector<std::string>>& raw_rows,
                       size_t max_width) {
  // Cells hold what files, bundles and programs named: escaped before anything is measured.
  const auto escaped = [](const std::vector<std::string>& cells) {
    std::vector<std::string> out;
    for (const std::string& cell : cells) out.push_back(terminal_text(cell));
    return out;
  };
  const std::vector<std::string> headers = escaped(raw_headers);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : raw_rows) rows.push_back(escaped(row));
  std::vector<size_t> widths;
  for (const std::string& header : headers) widths.push_back(header.size());
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  std::string text;
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 3, ' ');
    }
    // Cut at a byte that starts a character (escaped text is ASCII or whole UTF-8 sequences).
    if (max_width > 3 && line.size() > max_width) {
      size_t cut = max_width - 3;
      while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) --cut;
      line = line.substr(0, cut) + "...";
    }
    text += line + "\n";
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
  return text;
}

size_t terminal_width() {
  winsize size{};
  if (!::isatty(STDOUT_FILENO) || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) < 0) return 0;
  return size.ws_col;
}

std::string human_size(uint64_t bytes, SizeUnits units) {
  static constexpr const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  static constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  const char* const* names = units == SizeUnits::decimal ? kDecimal : kBinary;
  const double base = units == SizeUnits::decimal ? 1000 : 1024;
  constexpr size_t kLast = std::size(kDecimal) - 1;
  if (bytes < base) return std::to_string(bytes) + "B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= base && unit < kLast) {
    value /= base;
    ++unit;
  }
  // Three significant digits: as many decimals as the integer part leaves. Rounding can reach
  // the next unit's threshold (999.6kB), which then prints as 1.00MB.
  const auto decimals = [](double v) { return v < 9.995 ? 2 : v < 99.95 ? 1 : 0; };
  if (unit < kLast && value >= base - 0.5) {
    value /= base;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.*f%s", decimals(value), value, names[unit]);
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string time_ago(int64_t unix_time) {
  const int64_t seconds = std::max<int64_t>(0, ::time(nullptr) - unix_time);
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
  };
  if (seconds < 60) return plural(seconds, "second");
  if (seconds < 3600) return plural(seconds / 60, "minute");
  if (seconds < 86400) return plural(seconds / 3600, "hour");
  return plural(seconds / 86400, "day");
}

std::string rfc3339(int64_t unix_time) {
  time_t t = static_cast<time_t>(unix_time);
  tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace tproc::cli
