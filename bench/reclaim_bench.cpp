// reclaim_bench [RUNS]: does a space stay flat over many runs? Runs the hello sample RUNS times
// (default 10,000) one after the other with `tproc run SPACE hello` into one space, and prints the
// daemon's mapping count (lines of /proc/PID/maps), VmRSS and open descriptors at the baseline
// (after a few warm-up runs), every 10% of the way, and at the end, with the launch rate.
// Goal (issue 6): back within 2 mappings and 1% RSS of the baseline; threadprocs measured +7
// mappings, +1 MiB RSS and +1 fd per run. Prints the numbers; asserts nothing.
//
// Paths come from compile definitions: TPROC_BENCH_TPROC (build/bin/tproc) and
// TPROC_BENCH_SAMPLE (build/samples/hello/hello). The space lives in private temporary
// TPROC_RUNTIME_DIR / TPROC_HOME directories and is removed (space rm -f) at the end.
#include "bench_support.hpp"

#include <dirent.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr int default_runs = 10'000;
constexpr int warmup_runs = 5;

/// The daemon's side of the space at one moment.
struct Footprint {
  long mappings = -1;
  long rss_kib = -1;
  long fds = -1;
};

Footprint footprint_of(pid_t pid) {
  Footprint footprint;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream maps(proc + "/maps");
  if (maps) {
    footprint.mappings = 0;
    for (std::string line; std::getline(maps, line);) ++footprint.mappings;
  }
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) footprint.rss_kib = std::stol(line.substr(6));
  if (DIR* dir = opendir((proc + "/fd").c_str())) {
    footprint.fds = 0;
    while (dirent* entry = readdir(dir))
      if (entry->d_name[0] != '.') ++footprint.fds;
    closedir(dir);
  }
  return footprint;
}

/// The daemon pid of `space` from `tproc space ls --format json`, or -1.
pid_t daemon_pid(const std::string& tproc, const std::string& space) {
  RunResult listed = run({tproc, "space", "ls", "--format", "json"}, /*capture=*/true);
  if (!listed.ok()) return -1;
  const size_t name = listed.out.find("\"name\": \"" + space + "\"");
  if (name == std::string::npos) return -1;
  const size_t pid = listed.out.find("\"pid\": ", name);
  if (pid == std::string::npos) return -1;
  return static_cast<pid_t>(std::strtol(listed.out.c_str() + pid + 7, nullptr, 10));
}

void print_row(const std::string& label, const Footprint& f) {
  std::printf("%-34s %8ld %10ld %6ld\n", label.c_str(), f.mappings, f.rss_kib, f.fds);
}

}  // namespace

int main(int argc, char** argv) {
  auto runs = count_arg(argc, argv, 1, default_runs);
  if (!runs) {
    std::fprintf(stderr, "usage: %s [RUNS]   (RUNS: 1..1000000, default %d)\n", argv[0], default_runs);
    return 2;
  }
  install_stop_handlers();

  const std::string tproc = TPROC_BENCH_TPROC;
  const std::string sample = TPROC_BENCH_SAMPLE;
  auto space = BenchSpace::create(tproc, "tproc-bench-reclaim");
  if (!space) return 1;
  const std::vector<std::string> args = space->run_args({sample});

  // The first run starts the daemon; the warm-up lets its own allocations settle.
  for (int i = 0; i < warmup_runs && !stop_requested; ++i) {
    RunResult r = run(args, /*capture=*/true);
    if (!r.ok()) {
      std::fprintf(stderr, "reclaim_bench: warm-up run failed: %s\n", describe_status(r.status).c_str());
      return 1;
    }
  }
  const pid_t daemon = daemon_pid(tproc, space->name());
  if (daemon <= 0) {
    std::fprintf(stderr, "reclaim_bench: no daemon pid for space %s\n", space->name().c_str());
    return 1;
  }
  const Footprint baseline = footprint_of(daemon);

  std::printf("reclaim_bench: %d sequential runs of %s in space %s (daemon pid %d)\n", *runs, sample.c_str(),
              space->name().c_str(), static_cast<int>(daemon));
  std::printf("%-34s %8s %10s %6s\n", "", "mappings", "VmRSS KiB", "fds");
  print_row("baseline (after " + std::to_string(warmup_runs) + " warm-up runs)", baseline);
  std::fflush(stdout);

  const int report_every = std::max(1, *runs / 10);
  int done = 0;
  int failed = 0;
  const long long start = now_ns();
  for (; done < *runs && !stop_requested; ++done) {
    RunResult r = run(args, /*capture=*/true);
    if (!r.ok() && !stop_requested && failed++ == 0)
      std::fprintf(stderr, "reclaim_bench: run %d failed: %s\n", done, describe_status(r.status).c_str());
    if ((done + 1) % report_every == 0 && done + 1 < *runs) {
      print_row("after " + std::to_string(done + 1) + " runs", footprint_of(daemon));
      std::fflush(stdout);
    }
  }
  const double seconds = static_cast<double>(now_ns() - start) / 1e9;
  // The daemon answers the client before it unmaps: give the last reclaim a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const Footprint final_footprint = footprint_of(daemon);
  print_row("final (after " + std::to_string(done) + " runs)", final_footprint);
  std::printf("%-34s %+8ld %+10ld %+6ld  (RSS %+.2f%%)\n", "difference", final_footprint.mappings - baseline.mappings,
              final_footprint.rss_kib - baseline.rss_kib, final_footprint.fds - baseline.fds,
              baseline.rss_kib > 0 ? 100.0 * static_cast<double>(final_footprint.rss_kib - baseline.rss_kib) /
                                         static_cast<double>(baseline.rss_kib)
                                   : 0.0);
  std::printf("goal (issue 6): within 2 mappings and 1%% RSS of the baseline\n");
  std::printf("launch rate: %.1f runs/s (%.3f ms per run, end to end, sequential)\n", done / seconds,
              seconds * 1e3 / std::max(done, 1));
  if (failed) std::printf("failed runs: %d\n", failed);
  std::fflush(stdout);  // before the space's removal prints its name
  if (stop_requested) {
    std::fprintf(stderr, "reclaim_bench: interrupted\n");
    return 130;
  }
  return failed ? 1 : 0;
}
