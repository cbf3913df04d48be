// The times `tproc logs --since/--until` take and `-t` prints (cli/log_time.hpp).

#include <catch2/catch.hpp>

#include "cli/log_time.hpp"

using tproc::cli::format_log_time;
using tproc::cli::parse_log_time;

namespace {
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1796637600LL * kSecond;  // 2026-12-07T10:00:00Z
}  // namespace

TEST_CASE("a duration is that long before now") {
  CHECK(*parse_log_time("10m", kNow) == kNow - 600 * kSecond);
  CHECK(*parse_log_time("1h30m", kNow) == kNow - 5400 * kSecond);
  CHECK(*parse_log_time("500ms", kNow) == kNow - kSecond / 2);
}

TEST_CASE("an RFC 3339 time is read with its fraction and offset") {
  CHECK(*parse_log_time("2026-12-07T10:00:00Z", kNow) == kNow);
  CHECK(*parse_log_time("2026-12-07T10:00:00.25Z", kNow) == kNow + kSecond / 4);
  CHECK(*parse_log_time("2026-12-07T11:00:00+01:00", kNow) == kNow);
  CHECK(*parse_log_time("2026-12-07T07:30:00-02:30", kNow) == kNow);
}

TEST_CASE("a plain number is a Unix time in seconds, as docker reads it") {
  CHECK(*parse_log_time("1796637600", kNow) == kNow);
  CHECK(*parse_log_time("1796637600.5", kNow) == kNow + kSecond / 2);
}

TEST_CASE("anything else is an error that says what is expected") {
  for (const char* bad : {"", "yesterday", "-5m", "2026-13-01", "2026-12-07T25:00:00Z", "2026-12-07T10:00:00+1", "10 m", "1796637600."}) {
    INFO(bad);
    auto parsed = parse_log_time(bad, kNow);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message().find("expected") != std::string::npos);
  }
}

TEST_CASE("logs -t prints RFC 3339 in UTC with nanoseconds, which parses back to the same time") {
  CHECK(format_log_time(kNow + 5) == "2026-12-07T10:00:00.000000005Z");
  CHECK(*parse_log_time(format_log_time(kNow + 123456789), kNow) == kNow + 123456789);
}
