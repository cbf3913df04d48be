// tproc stats: what each program of a space uses, and what the space itself holds.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_stats.hpp"
#include "space/space_name.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc stats [OPTIONS] SPACE\n\n"
    "Show what each running tproc of SPACE uses: CPU % (of one CPU), the memory it owns in the space\n"
    "(resident and mapped: the ranges the daemon mapped for it and those it mapped itself), threads\n"
    "and open fds; then the space's own memory: registry, space heap and the daemon. The parts add\n"
    "up to the space's RSS. Refreshes every second until interrupted, like docker stats. JSON also has\n"
    "the daemon's counters since it started: the calls the programs' mapping filters sent it, and\n"
    "the context switches of its threads and of the programs that ended.\n\n"
    "Options:\n"
    "      --no-stream      print one reading and exit\n"
    "      --format FORMAT  table (default) or json (one object per reading)\n";

Result<int> stats(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"no-stream", 0, false}, {"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("stats", 1, 1, "SPACE"));
  const std::string& name = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(name));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const bool stream = !arguments.has("no-stream");
  const bool terminal = stream && !json && ::isatty(STDOUT_FILENO);

  protocol::SpaceStats before = TPROC_TRY(sample_space(paths, name));
  for (;;) {
    // CPU % needs an interval: the first reading waits half a second, the next ones a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(stream ? 1000 : 500));
    protocol::SpaceStats now = TPROC_TRY(sample_space(paths, name));
    StatsReading reading = make_reading(before, now);
    TPROC_TRY(sort_rows(reading.rows, "id"));
    const std::string text = json ? stats_json(reading) : stats_table(reading);
    std::printf("%s%s", terminal ? "\033[H\033[2J" : "", text.c_str());
    std::fflush(stdout);
    if (!stream) return 0;
    before = std::move(now);
  }
}

}  // namespace

const Command kStatsCommand{"stats", "Show what each program of a space uses", kUsage, stats};

}  // namespace tproc::cli
