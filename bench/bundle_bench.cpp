// bundle_bench [RUNS]: bundles of a large real program (python3 from Debian, libraries: bundled),
// bare and with `runtime: python3` (its standard library in the bundle, issue 17). Prints each
// `tproc build` time and bundle size, then the first run of each bundle (which unpacks it into
// the cache) and warm runs (which reuse it) against a direct exec of the same program, measured
// in the same run, interleaved (RUNS warm runs of each, default 20). Asserts no timing. Issue 3.
#include "bench_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr const char* kProgram = "/usr/bin/python3";
const std::vector<std::string> kArgs{"-c", "pass"};

/// One manifest of python3 and what was measured of its bundle.
struct Variant {
  const char* label;
  const char* more_yaml;  ///< lines added to "name: python\nentrypoint: python3"
  std::vector<std::string> run_args;
  double build_ms = 0;
  uintmax_t size = 0;
  size_t files = 0;
  double first_ms = 0;
  std::vector<double> warm_ns;
};

/// Builds the variant's bundle in the space's home and runs it once (which unpacks it).
bool measure(const std::string& tproc, BenchSpace& space, Variant& variant) {
  const std::string dir = space.home() + "/" + (variant.more_yaml[0] ? "hermetic" : "bare");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tproc.yaml") << "name: python\nentrypoint: " << kProgram << "\n" << variant.more_yaml;
  const std::string bundle = dir + "/python.bundle";
  long long start = now_ns();
  RunResult built = run({tproc, "build", "-o", bundle, dir}, true);
  variant.build_ms = (now_ns() - start) / 1e6;
  if (!built.ok()) {
    std::fprintf(stderr, "bundle_bench: tproc build (%s) failed: %s\n", variant.label, describe_status(built.status).c_str());
    return false;
  }
  variant.size = std::filesystem::file_size(bundle);
  // "python.bundle sha256:... (N files)"
  const size_t open = built.out.rfind('(');
  if (open != std::string::npos) variant.files = std::strtoul(built.out.c_str() + open + 1, nullptr, 10);
  std::vector<std::string> args{bundle};
  args.insert(args.end(), kArgs.begin(), kArgs.end());
  variant.run_args = space.run_args(args);
  start = now_ns();
  RunResult first = run(variant.run_args);
  variant.first_ms = (now_ns() - start) / 1e6;
  if (!first.ok()) {
    std::fprintf(stderr, "bundle_bench: first run (%s) failed: %s\n", variant.label, describe_status(first.status).c_str());
    return false;
  }
  return true;
}

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

  std::vector<double> direct_ns;
  std::vector<Variant> variants = {{"bare", ""}, {"runtime: python3", "runtime: python3\n"}};
  for (Variant& variant : variants)
    if (!measure(tproc, *space, variant)) return 1;
  for (int i = 0; i < *runs && !stop_requested; ++i) {
    // Interleaved, so that the machine's load weighs on each the same.
    std::vector<std::string> direct{kProgram};
    direct.insert(direct.end(), kArgs.begin(), kArgs.end());
    long long start = now_ns();
    if (!run(direct).ok()) {
      std::fprintf(stderr, "bundle_bench: direct run failed\n");
      return 1;
    }
    direct_ns.push_back(static_cast<double>(now_ns() - start));
    for (Variant& variant : variants) {
      start = now_ns();
      RunResult r = run(variant.run_args);
      if (!r.ok()) {
        std::fprintf(stderr, "bundle_bench: run of the %s bundle failed: %s\n", variant.label, describe_status(r.status).c_str());
        return 1;
      }
      variant.warm_ns.push_back(static_cast<double>(now_ns() - start));
    }
  }
  if (stop_requested) return 130;
  const Stats d = summarize(direct_ns);
  std::printf("bundle_bench: %s (libraries: bundled), %d warm runs each\n", kProgram, *runs);
  std::printf("%-24s %9.2f %9.2f %9.2f ms (p50, mean, min)\n", "direct exec", d.p50 / 1e6, d.mean / 1e6, d.min / 1e6);
  for (const Variant& variant : variants) {
    const Stats w = summarize(variant.warm_ns);
    std::printf("-- manifest %s\n", variant.label);
    std::printf("tproc build              %9.1f ms, bundle %.1f MiB, %zu files\n", variant.build_ms,
                variant.size / 1048576.0, variant.files);
    std::printf("first run (unpacks)      %9.1f ms   (%.2fx the direct p50)\n", variant.first_ms, variant.first_ms * 1e6 / d.p50);
    std::printf("%-24s %9.2f %9.2f %9.2f ms (p50, mean, min)\n", "warm run of the bundle", w.p50 / 1e6, w.mean / 1e6, w.min / 1e6);
    std::printf("%-24s %8.2fx %8.2fx %8.2fx\n", "ratio warm / direct", w.p50 / d.p50, w.mean / d.mean, w.min / d.min);
  }
  return 0;
}
