// bundle_bench [RUNS]: bundles of a large real program (python3 from Debian, libraries: bundled).
// Prints `tproc build` time and the bundle's size, then the first run of the bundle (which unpacks
// it into the cache) and warm runs (which reuse it) against a direct exec of the same program,
// measured in the same run (RUNS warm runs of each, default 20). Asserts no timing. Issue 3.
#include "bench_support.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr const char* kProgram = "/usr/bin/python3";
const std::vector<std::string> kArgs{"-c", "pass"};

}  // namespace

int main(int argc, char** argv) {
  auto runs = count_arg(argc, argv, 1, 20);
  if (!runs) {
    std::fprintf(stderr, "usage: %s [RUNS]\n", argv[0]);
    return 2;
  }
  if (!std::filesystem::exists(kProgram)) {
    std::fprintf(stderr, "bundle_bench: %s is not installed\n", kProgram);
    return 1;
  }
  install_stop_handlers();
  const std::string tproc = TPROC_BENCH_TPROC;
  auto space = BenchSpace::create(tproc, "tproc-bench-bundle");
  if (!space) return 1;

  // A manifest next to a bundle path in the space's own temporary home.
  const std::string dir = space->home() + "/app";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tproc.yaml") << "name: python\nentrypoint: " << kProgram << "\n";
  const std::string bundle = dir + "/python.bundle";

  long long start = now_ns();
  RunResult built = run({tproc, "build", "-o", bundle, dir}, true);
  const double build_ms = (now_ns() - start) / 1e6;
  if (!built.ok()) {
    std::fprintf(stderr, "bundle_bench: tproc build failed: %s\n", describe_status(built.status).c_str());
    return 1;
  }
  const auto size = std::filesystem::file_size(bundle);

  std::vector<std::string> direct{kProgram};
  direct.insert(direct.end(), kArgs.begin(), kArgs.end());
  std::vector<std::string> bundled{bundle};
  bundled.insert(bundled.end(), kArgs.begin(), kArgs.end());
  const std::vector<std::string> bundled_run = space->run_args(bundled);

  start = now_ns();
  RunResult first = run(bundled_run);
  const double first_ms = (now_ns() - start) / 1e6;
  if (!first.ok()) {
    std::fprintf(stderr, "bundle_bench: first run failed: %s\n", describe_status(first.status).c_str());
    return 1;
  }
  std::vector<double> direct_ns, warm_ns;
  for (int i = 0; i < *runs && !stop_requested; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool is_direct = (turn == 0) == (i % 2 == 0);
      start = now_ns();
      RunResult r = run(is_direct ? direct : bundled_run);
      if (!r.ok()) {
        std::fprintf(stderr, "bundle_bench: run failed: %s\n", describe_status(r.status).c_str());
        return 1;
      }
      (is_direct ? direct_ns : warm_ns).push_back(static_cast<double>(now_ns() - start));
    }
  }
  if (stop_requested) return 130;
  const Stats d = summarize(direct_ns), w = summarize(warm_ns);
  std::printf("bundle_bench: %s (libraries: bundled), %d warm runs each\n", kProgram, *runs);
  std::printf("tproc build              %9.1f ms, bundle %.1f MiB\n", build_ms, size / 1048576.0);
  std::printf("first run (unpacks)      %9.1f ms   (%.2fx the direct p50)\n", first_ms, first_ms * 1e6 / d.p50);
  std::printf("%-24s %9s %9s %9s\n", "(milliseconds)", "p50", "mean", "min");
  std::printf("%-24s %9.2f %9.2f %9.2f\n", "direct exec", d.p50 / 1e6, d.mean / 1e6, d.min / 1e6);
  std::printf("%-24s %9.2f %9.2f %9.2f\n", "warm run of the bundle", w.p50 / 1e6, w.mean / 1e6, w.min / 1e6);
  std::printf("%-24s %8.2fx %8.2fx %8.2fx\n", "ratio warm / direct", w.p50 / d.p50, w.mean / d.mean, w.min / d.min);
  return 0;
}
