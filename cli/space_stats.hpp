#pragma once
// SpaceStats for humans: two samples of a space's counters make one reading (CPU % is the CPU
// time used between them over the time between them), shown as a table or JSON by `tproc stats`
// and `tproc top`.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

/// One tproc's row: the latest counters and its CPU use since the previous sample.
struct StatsRow {
  protocol::TprocStats tproc;
  double cpu_percent = 0;  ///< of one CPU, as docker stats and top show it (200% = two CPUs busy)
};

/// One reading of a space.
struct StatsReading {
  protocol::SpaceStats space;
  double daemon_cpu_percent = 0;
  std::vector<StatsRow> rows;
};

/// Asks `space` for its counters.
Result<protocol::SpaceStats> sample_space(const space::SpacePaths& paths, const std::string& space);

/// The reading `now` makes after `before` (a tproc absent from `before` has used what it has used
/// since it started within the interval: its CPU % counts from 0).
StatsReading make_reading(const protocol::SpaceStats& before, protocol::SpaceStats now);

/// How rows are ordered: "cpu", "mem" (RSS), "mapped", "threads", "fds", "id" or "name".
Result<void> sort_rows(std::vector<StatsRow>& rows, const std::string& key);

/// The reading as a table (the tprocs, then the space's own memory on one line).
std::string stats_table(const StatsReading& reading);
/// The reading as one JSON object.
std::string stats_json(const StatsReading& reading);

}  // namespace tproc::cli
