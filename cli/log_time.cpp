#include "cli/log_time.hpp"

#include <time.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>

#include "common/duration.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

/// Reads exactly `digits` decimal digits at `at`.
std::optional<int> digits_at(std::string_view text, size_t at, size_t digits) {
  if (text.size() < at + digits) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

/// ".123" at `at`: its nanoseconds, advancing `at`.
int64_t fraction_at(std::string_view text, size_t& at) {
  if (at >= text.size() || text[at] != '.') return 0;
  int64_t nanoseconds = 0, scale = kSecond;
  for (++at; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at)
    if (scale > 1) nanoseconds += (text[at] - '0') * (scale /= 10);
  return nanoseconds;
}

std::optional<int64_t> parse_unix_seconds(std::string_view text) {
  int64_t seconds = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end == text.data() || seconds < 0 || seconds > 1LL << 33) return std::nullopt;
  size_t at = static_cast<size_t>(end - text.data());
  const int64_t fraction = fraction_at(text, at);
  if (at != text.size() || (text[at - 1] == '.')) return std::nullopt;
  return seconds * kSecond + fraction;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  auto year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return std::nullopt;
  tm broken{};
  broken.tm_year = *year - 1900;
  broken.tm_mon = *month - 1;
  broken.tm_mday = *day;
  broken.tm_isdst = -1;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  size_t at = 10;
  int64_t fraction = 0;
  std::optional<int64_t> offset_seconds;  // east of UTC; none: local time
  if (at < text.size()) {
    if (text[at] != 'T' && text[at] != 't' && text[at] != ' ') return std::nullopt;
    auto hour = digits_at(text, at + 1, 2), minute = digits_at(text, at + 4, 2), second = digits_at(text, at + 7, 2);
    if (!hour || !minute || !second || text[at + 3] != ':' || text[at + 6] != ':' || *hour > 23 || *minute > 59 || *second > 60)
      return std::nullopt;
    broken.tm_hour = *hour;
    broken.tm_min = *minute;
    broken.tm_sec = *second;
    at += 9;
    fraction = fraction_at(text, at);
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
      offset_seconds = 0;
      ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
      auto hours = digits_at(text, at + 1, 2), minutes = digits_at(text, at + 4, 2);
      if (!hours || !minutes || text.size() < at + 6 || text[at + 3] != ':' || *hours > 23 || *minutes > 59) return std::nullopt;
      offset_seconds = (text[at] == '-' ? -1 : 1) * (*hours * 3600 + *minutes * 60);
      at += 6;
    }
  }
  if (at != text.size()) return std::nullopt;
  const time_t seconds = offset_seconds ? ::timegm(&broken) - *offset_seconds : ::mktime(&broken);
  return static_cast<int64_t>(seconds) * kSecond + fraction;
}

}  // namespace

Result<int64_t> parse_log_time(std::string_view text, int64_t now_ns) {
  if (auto unix_time = parse_unix_seconds(text)) return *unix_time;
  if (auto point = parse_rfc3339(text)) return *point;
  if (auto duration = parse_duration(text)) return now_ns - static_cast<int64_t>(duration->count()) * 1'000'000;
  return Error::explained("expected a duration (10m, 1h30m), an RFC 3339 time (2026-12-07T10:00:00Z) or a Unix time, got \"" +
                              printable(text, 64) + "\"",
                          EINVAL);
}

std::string format_log_time(int64_t unix_ns) {
  const time_t seconds = static_cast<time_t>(unix_ns / kSecond);
  tm broken{};
  ::gmtime_r(&seconds, &broken);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", broken.tm_year + 1900, broken.tm_mon + 1,
                broken.tm_mday, broken.tm_hour, broken.tm_min, broken.tm_sec, static_cast<long long>(unix_ns % kSecond));
  return text;
}

int64_t unix_now_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * kSecond + now.tv_nsec;
}

}  // namespace tproc::cli
