// reclaim_cost_bench [LAUNCH_RUNS [MALLOC_REPETITIONS]]: what the reclaim mechanism (issue 6: the
// mapping filter and the daemon's mapping server, which performs every mmap/munmap/mremap of a
// tproc) costs. Two spaces run side by side in the same run: one normal, one whose daemon runs
// without the mechanism (started with TPROC_RECLAIM=off, i.e. `tproc daemon --no-reclaim`), and
// the same workloads alternate between them, with the direct program as a reference:
//   launch: `tproc run SPACE trivial`, LAUNCH_RUNS of each (default 200)
//   malloc: `tproc run SPACE malloc_workload`, MALLOC_REPETITIONS of each (default 7), the
//           workload's own time (checksums must match the native run's)
// Prints p50/mean/min and the ratios mechanism / without against the goals (issue 6): at most
// +20% on launch and +5% on malloc. Also the daemons' mappings and RSS after the runs: the space
// without the mechanism keeps what its programs mapped. Asserts no timing.
//
// Paths come from compile definitions: TPROC_BENCH_TPROC, TPROC_BENCH_TRIVIAL and
// TPROC_BENCH_WORKLOAD. Both spaces live in private temporary TPROC_RUNTIME_DIR / TPROC_HOME
// directories and are removed (space rm -f) at the end.
#include "bench_support.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr int default_launch_runs = 200;
constexpr int default_malloc_repetitions = 7;
constexpr int warmup_runs = 5;

/// The three ways a workload runs, in the order of the columns.
enum Way { kDirect, kWithout, kMechanism, kWays };
constexpr const char* kWayNames[kWays] = {"direct (no tproc)", "space without reclaim", "space with reclaim"};

/// The daemon pid of `space`, from `tproc space ls --format json` (0 if not found), and whether
/// that daemon says it reclaims.
struct ListedSpace {
  pid_t pid = 0;
  bool reclaim = false;
};

ListedSpace listed(const std::string& tproc, const std::string& space) {
  RunResult r = run({tproc, "space", "ls", "--format", "json"}, /*capture=*/true);
  ListedSpace found;
  const size_t at = r.out.find("\"name\": \"" + space + "\"");
  if (!r.ok() || at == std::string::npos) return found;
  const size_t end = r.out.find('}', at);
  const std::string row = r.out.substr(at, end - at);
  const size_t pid = row.find("\"pid\": ");
  if (pid != std::string::npos) found.pid = static_cast<pid_t>(std::atol(row.c_str() + pid + 7));
  found.reclaim = row.find("\"reclaim\": true") != std::string::npos;
  return found;
}

/// Mappings (lines of /proc/PID/maps) and VmRSS (KiB) of a daemon, i.e. of its space.
std::pair<long, long> footprint(pid_t pid) {
  long mappings = 0, rss = -1;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) ++mappings;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
  return {mappings, rss};
}

/// Which way goes in slot `turn` of iteration `i`: every order in turn, so none always follows another.
Way way_at(int i, int turn) {
  static constexpr Way orders[6][3] = {{kDirect, kWithout, kMechanism}, {kMechanism, kDirect, kWithout},
                                       {kWithout, kMechanism, kDirect}, {kDirect, kMechanism, kWithout},
                                       {kWithout, kDirect, kMechanism}, {kMechanism, kWithout, kDirect}};
  return orders[i % 6][turn];
}

/// The workload's checksum and own time from its output, or false.
bool parse_workload(const std::string& out, std::string& checksum, double& inner_ns) {
  char text[17] = {};
  long long inner = 0;
  const auto at = out.find("checksum=");
  if (at == std::string::npos || std::sscanf(out.c_str() + at, "checksum=%16s elapsed_ns=%lld", text, &inner) != 2)
    return false;
  checksum = text;
  inner_ns = static_cast<double>(inner);
  return true;
}

void print_verdict(const char* what, double ratio, double goal) {
  std::printf("%-34s %8.3fx  (%+.1f%%; goal at most %+.0f%%: %s)\n", what, ratio, (ratio - 1) * 100, (goal - 1) * 100,
              ratio <= goal ? "met" : "missed");
}

}  // namespace

int main(int argc, char** argv) {
  auto launch_runs = count_arg(argc, argv, 1, default_launch_runs);
  auto repetitions = count_arg(argc, argv, 2, default_malloc_repetitions);
  if (!launch_runs || !repetitions) {
    std::fprintf(stderr, "usage: %s [LAUNCH_RUNS [MALLOC_REPETITIONS]]   (defaults %d, %d)\n", argv[0],
                 default_launch_runs, default_malloc_repetitions);
    return 2;
  }
  install_stop_handlers();

  const std::string tproc = TPROC_BENCH_TPROC;
  const std::string trivial = TPROC_BENCH_TRIVIAL;
  const std::string workload = TPROC_BENCH_WORKLOAD;
  auto space = BenchSpace::create(tproc, "tproc-bench-cost");
  if (!space) return 1;
  const std::string with = space->name();
  const std::string without = space->sibling("noreclaim");

  // Start both daemons; the environment of the `tproc run` that starts a daemon is the daemon's.
  if (RunResult r = run(space->run_args_in(with, {trivial})); !r.ok()) {
    std::fprintf(stderr, "reclaim_cost_bench: starting space %s failed: %s\n", with.c_str(), describe_status(r.status).c_str());
    return 1;
  }
  setenv("TPROC_RECLAIM", "off", 1);
  RunResult started = run(space->run_args_in(without, {trivial}));
  unsetenv("TPROC_RECLAIM");
  if (!started.ok()) {
    std::fprintf(stderr, "reclaim_cost_bench: starting space %s failed: %s\n", without.c_str(),
                 describe_status(started.status).c_str());
    return 1;
  }
  const ListedSpace with_daemon = listed(tproc, with), without_daemon = listed(tproc, without);
  if (with_daemon.pid <= 0 || without_daemon.pid <= 0 || !with_daemon.reclaim || without_daemon.reclaim) {
    std::fprintf(stderr, "reclaim_cost_bench: `tproc space ls` does not show %s reclaiming and %s not\n", with.c_str(),
                 without.c_str());
    return 1;
  }
  const auto with_before = footprint(with_daemon.pid), without_before = footprint(without_daemon.pid);

  const std::vector<std::string> launch_args[kWays] = {{trivial}, space->run_args_in(without, {trivial}),
                                                       space->run_args_in(with, {trivial})};
  for (int i = 0; i < warmup_runs && !stop_requested; ++i) {
    for (const auto& args : launch_args) {
      if (RunResult r = run(args); !r.ok() && !stop_requested) {
        std::fprintf(stderr, "reclaim_cost_bench: warm-up `%s` failed: %s\n", args.back().c_str(), describe_status(r.status).c_str());
        return 1;
      }
    }
  }

  // Launch: end to end, the three ways in rotating order.
  std::vector<double> launch_ns[kWays];
  for (int i = 0; i < *launch_runs && !stop_requested; ++i) {
    for (int turn = 0; turn < kWays && !stop_requested; ++turn) {
      const Way way = way_at(i, turn);
      const long long start = now_ns();
      RunResult r = run(launch_args[way]);
      const long long elapsed = now_ns() - start;
      if (stop_requested) break;
      if (!r.ok()) {
        std::fprintf(stderr, "reclaim_cost_bench: launch %d (%s) failed: %s\n", i, kWayNames[way], describe_status(r.status).c_str());
        return 1;
      }
      launch_ns[way].push_back(static_cast<double>(elapsed));
    }
  }

  // Malloc: the workload's own time, the three ways in rotating order.
  const std::vector<std::string> malloc_args[kWays] = {{workload}, space->run_args_in(without, {workload}),
                                                       space->run_args_in(with, {workload})};
  std::vector<double> malloc_ns[kWays];
  std::string expected_checksum;
  for (int i = 0; i < *repetitions && !stop_requested; ++i) {
    for (int turn = 0; turn < kWays && !stop_requested; ++turn) {
      const Way way = way_at(i, turn);
      RunResult r = run(malloc_args[way], /*capture=*/true);
      if (stop_requested) break;
      std::string checksum;
      double inner_ns = 0;
      if (!r.ok() || !parse_workload(r.out, checksum, inner_ns)) {
        std::fprintf(stderr, "reclaim_cost_bench: malloc %d (%s) failed: %s \"%s\"\n", i, kWayNames[way],
                     describe_status(r.status).c_str(), r.out.c_str());
        return 1;
      }
      if (expected_checksum.empty()) expected_checksum = checksum;
      if (checksum != expected_checksum) {
        std::fprintf(stderr, "reclaim_cost_bench: malloc %d (%s): checksum %s differs from %s\n", i, kWayNames[way],
                     checksum.c_str(), expected_checksum.c_str());
        return 1;
      }
      malloc_ns[way].push_back(inner_ns);
    }
  }
  if (stop_requested || launch_ns[kMechanism].empty() || malloc_ns[kMechanism].empty() ||
      malloc_ns[kWithout].size() != malloc_ns[kMechanism].size()) {
    std::fprintf(stderr, "reclaim_cost_bench: interrupted\n");
    return 130;
  }

  Stats launch[kWays], malloc[kWays];
  for (int way = 0; way < kWays; ++way) {
    launch[way] = summarize(launch_ns[way]);
    malloc[way] = summarize(malloc_ns[way]);
  }
  std::printf("reclaim_cost_bench: %zu launches and %zu malloc runs each way; spaces %s (reclaim on), %s (off)\n",
              launch_ns[kMechanism].size(), malloc_ns[kMechanism].size(), with.c_str(), without.c_str());
  std::printf("%-28s %10s %10s %10s   %12s %12s\n", "(milliseconds)", "launch p50", "mean", "min", "malloc p50", "min");
  for (int way = 0; way < kWays; ++way)
    std::printf("%-28s %10.3f %10.3f %10.3f   %12.1f %12.1f\n", kWayNames[way], launch[way].p50 / 1e6,
                launch[way].mean / 1e6, launch[way].min / 1e6, malloc[way].p50 / 1e6, malloc[way].min / 1e6);
  print_verdict("launch p50, with / without", launch[kMechanism].p50 / launch[kWithout].p50, 1.20);
  print_verdict("launch min, with / without", launch[kMechanism].min / launch[kWithout].min, 1.20);
  print_verdict("malloc p50, with / without", malloc[kMechanism].p50 / malloc[kWithout].p50, 1.05);
  print_verdict("malloc min, with / without", malloc[kMechanism].min / malloc[kWithout].min, 1.05);

  // What the mechanism buys: the space with it stays flat, the one without keeps what ran in it.
  // (A daemon reclaims right after answering the last client: give it a moment.)
  ::usleep(200'000);
  const auto with_after = footprint(with_daemon.pid), without_after = footprint(without_daemon.pid);
  std::printf("space with reclaim:    %ld -> %ld mappings, VmRSS %ld -> %ld KiB\n", with_before.first, with_after.first,
              with_before.second, with_after.second);
  std::printf("space without reclaim: %ld -> %ld mappings, VmRSS %ld -> %ld KiB (nothing its programs mapped was reclaimed)\n",
              without_before.first, without_after.first, without_before.second, without_after.second);
  return 0;
}
