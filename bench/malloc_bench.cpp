// malloc_bench [REPETITIONS]: bench/malloc_workload natively vs inside a tproc (`tproc run SPACE
// malloc_workload`), alternated, REPETITIONS of each (default 7). Prints the median and minimum
// of the workload's own time (malloc cost), the median end-to-end time (plus launch) and ratios;
// asserts no timing. Fails only if a run fails or a checksum differs from the native one.
// Goal (issue 2): at most 1.05x.
//
// Paths come from compile definitions: TPROC_BENCH_TPROC, TPROC_BENCH_TRIVIAL (starts the space's
// daemon before measuring) and TPROC_BENCH_WORKLOAD. The space lives in private temporary
// TPROC_RUNTIME_DIR / TPROC_HOME directories and is removed (space rm -f) at the end.
#include "bench_support.hpp"

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr int default_repetitions = 7;

/// What one workload run reported.
struct WorkloadRun {
  std::string checksum;
  double inner_ns = 0;  // the workload's own measurement
  double wall_ns = 0;   // spawn to reap, as seen by this driver
};

/// Runs the workload (args) once; nullopt, with a message, when it fails or prints no result.
std::optional<WorkloadRun> run_workload(const std::vector<std::string>& args, const char* how) {
  const long long start = now_ns();
  RunResult r = run(args, /*capture=*/true);
  const long long wall = now_ns() - start;
  if (!r.ok()) {
    if (!stop_requested) std::fprintf(stderr, "malloc_bench: %s run failed: %s\n", how, describe_status(r.status).c_str());
    return std::nullopt;
  }
  char checksum[17] = {};
  long long inner = 0;
  const auto at = r.out.find("checksum=");
  if (at == std::string::npos || std::sscanf(r.out.c_str() + at, "checksum=%16s elapsed_ns=%lld", checksum, &inner) != 2) {
    std::fprintf(stderr, "malloc_bench: %s run printed no result: \"%s\"\n", how, r.out.c_str());
    return std::nullopt;
  }
  return WorkloadRun{checksum, static_cast<double>(inner), static_cast<double>(wall)};
}

}  // namespace

int main(int argc, char** argv) {
  auto repetitions = count_arg(argc, argv, 1, default_repetitions);
  if (!repetitions) {
    std::fprintf(stderr, "usage: %s [REPETITIONS]   (default %d)\n", argv[0], default_repetitions);
    return 2;
  }
  install_stop_handlers();

  const std::string tproc = TPROC_BENCH_TPROC;
  const std::string workload = TPROC_BENCH_WORKLOAD;
  auto space = BenchSpace::create(tproc, "tproc-bench-malloc");
  if (!space) return 1;

  // Start the space's daemon so the first measured tproc run does not pay for it.
  if (RunResult r = run(space->run_args({TPROC_BENCH_TRIVIAL})); !r.ok()) {
    std::fprintf(stderr, "malloc_bench: starting space %s failed: %s\n", space->name().c_str(), describe_status(r.status).c_str());
    return 1;
  }

  const std::vector<std::string> native_args{workload};
  const std::vector<std::string> tproc_args = space->run_args({workload});
  std::vector<double> native_inner, native_wall, tproc_inner, tproc_wall;
  std::string expected_checksum;
  for (int i = 0; i < *repetitions && !stop_requested; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool native = (turn == 0) == (i % 2 == 0);
      auto result = run_workload(native ? native_args : tproc_args, native ? "native" : "tproc");
      if (!result) return stop_requested ? 130 : 1;
      if (expected_checksum.empty()) expected_checksum = result->checksum;
      if (result->checksum != expected_checksum) {
        std::fprintf(stderr, "malloc_bench: %s run %d: checksum %s differs from %s\n", native ? "native" : "tproc", i,
                     result->checksum.c_str(), expected_checksum.c_str());
        return 1;
      }
      (native ? native_inner : tproc_inner).push_back(result->inner_ns);
      (native ? native_wall : tproc_wall).push_back(result->wall_ns);
      std::printf("  rep %d %-6s workload %8.1f ms   end to end %8.1f ms\n", i, native ? "native" : "tproc",
                  result->inner_ns / 1e6, result->wall_ns / 1e6);
      std::fflush(stdout);
    }
  }
  if (stop_requested || native_inner.empty() || native_inner.size() != tproc_inner.size()) {
    std::fprintf(stderr, "malloc_bench: interrupted\n");
    return 130;
  }

  const Stats ni = summarize(native_inner), nw = summarize(native_wall);
  const Stats ti = summarize(tproc_inner), tw = summarize(tproc_wall);
  std::printf("malloc_bench: %zu repetitions each, checksum %s, space %s\n", native_inner.size(), expected_checksum.c_str(),
              space->name().c_str());
  std::printf("%-22s %14s %14s %16s\n", "(milliseconds)", "workload p50", "workload min", "end-to-end p50");
  std::printf("%-22s %14.1f %14.1f %16.1f\n", "native", ni.p50 / 1e6, ni.min / 1e6, nw.p50 / 1e6);
  std::printf("%-22s %14.1f %14.1f %16.1f\n", "inside a tproc", ti.p50 / 1e6, ti.min / 1e6, tw.p50 / 1e6);
  std::printf("%-22s %13.3fx %13.3fx %15.3fx\n", "ratio tproc / native", ti.p50 / ni.p50, ti.min / ni.min, tw.p50 / nw.p50);
  std::printf("goal (issue 2): at most 1.05x\n");
  return 0;
}
