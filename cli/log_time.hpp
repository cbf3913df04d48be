#pragma once
// The times `tproc logs` takes (--since, --until) and prints (-t), as docker logs spells them.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tproc::cli {

/// Parses a point in time, in nanoseconds since the epoch: a duration before `now_ns` ("10m",
/// "1h30m", "90s"), an RFC 3339 timestamp ("2026-12-07T10:00:00Z", fractions and "+01:00"
/// offsets too; without an offset, local time), a date ("2026-12-07", local midnight) or a Unix
/// time in seconds ("1796637600", "1796637600.5").
Result<int64_t> parse_log_time(std::string_view text, int64_t now_ns);

/// RFC 3339 in UTC with nanoseconds, as docker logs -t prints: "2026-12-07T10:00:00.123456789Z".
std::string format_log_time(int64_t unix_ns);

/// The realtime clock, in nanoseconds since the epoch.
int64_t unix_now_ns();

}  // namespace tproc::cli
