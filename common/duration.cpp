#include "common/duration.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

#include "common/printable.hpp"

namespace tproc {

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string bad = "expected a duration such as 10s, 500ms or 1m30s, got \"" + printable(text, 64) + "\"";
  if (text.empty()) return Error::explained(bad, EINVAL);
  // A plain number is seconds (fractions allowed).
  if (text.find_first_not_of("0123456789.") == std::string_view::npos) {
    char* end = nullptr;
    const std::string copy(text);
    const double seconds = std::strtod(copy.c_str(), &end);
    if (*end != '\0' || !std::isfinite(seconds) || seconds > 1e7) return Error::explained(bad, EINVAL);
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (start == i) return Error::explained(bad, EINVAL);
    const double value = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60000;
    else if (unit == "h") scale = 3600000;
    else return Error::explained(bad, EINVAL);
    total_ms += value * scale;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e10) return Error::explained(bad, EINVAL);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total_ms)));
}

}  // namespace tproc
