// tproc top: tproc stats, refreshing, sorted.

#include <unistd.h>

#include <charconv>
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
    "Usage: tproc top [OPTIONS] SPACE\n\n"
    "Show the running tprocs of SPACE as 'tproc stats' does, busiest first, refreshing until\n"
    "interrupted (on a terminal the screen is redrawn).\n\n"
    "Options:\n"
    "  -s, --sort KEY       cpu (default), mem, mapped, threads, fds, id or name\n"
    "  -d, --delay SECONDS  between refreshes (default 2; fractions allowed, at least 0.1)\n"
    "  -n, --iterations N   refresh N times, then exit\n";

Result<int> top(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(
      Arguments::parse(args, {{"sort", 's', true}, {"delay", 'd', true}, {"iterations", 'n', true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("top", 1, 1, "SPACE"));
  const std::string& name = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(name));
  const std::string key = arguments.value("sort", "cpu");
  std::vector<StatsRow> none;
  TPROC_TRY(sort_rows(none, key));  // an unknown key fails before anything is asked
  const std::string delay_text = arguments.value("delay", "2");
  char* end = nullptr;
  const double delay = std::strtod(delay_text.c_str(), &end);
  if (delay_text.empty() || *end != '\0' || !(delay >= 0.1) || delay > 86400)
    return Error::explained("invalid --delay '" + delay_text + "' (seconds, from 0.1)", EINVAL);
  long iterations = -1;
  if (arguments.has("iterations")) {
    const std::string text = arguments.value("iterations");
    auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), iterations);
    if (error != std::errc() || last != text.data() + text.size() || iterations < 1)
      return Error::explained("invalid --iterations '" + text + "' (a count from 1)", EINVAL);
  }
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const bool terminal = ::isatty(STDOUT_FILENO);

  protocol::SpaceStats before = TPROC_TRY(sample_space(paths, name));
  for (long done = 0; iterations < 0 || done < iterations; ++done) {
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    protocol::SpaceStats now = TPROC_TRY(sample_space(paths, name));
    StatsReading reading = make_reading(before, now);
    TPROC_TRY(sort_rows(reading.rows, key));
    std::printf("%s%s", terminal ? "\033[H\033[2J" : (done ? "\n" : ""), stats_table(reading).c_str());
    std::fflush(stdout);
    before = std::move(now);
  }
  return 0;
}

}  // namespace

const Command kTopCommand{"top", "Show a space's programs by what they use, refreshing", kUsage, top};

}  // namespace tproc::cli
