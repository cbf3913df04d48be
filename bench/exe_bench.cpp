// exe_bench [N]: what answering /proc/self/exe costs (space/program_exe.hpp). The mapping filter
// notifies readlink, readlinkat and execve to the daemon, which answers readlink of the program's
// own exe and lets every other call through after a look at its path. bench/exe_calls times those
// calls from inside: run directly, in a space without reclaim (no filter at all, TPROC_RECLAIM=off)
// and in a normal space, alternating, 3 rounds; prints each round's ns per call. Asserts no timing.
#include "bench_support.hpp"

#include <cstdio>
#include <string>

using namespace tproc::bench;

int main(int argc, char** argv) {
  install_stop_handlers();
  const auto n = count_arg(argc, argv, 1, 20000);
  if (!n) return 2;
  const std::string tproc = TPROC_BENCH_TPROC, calls = TPROC_BENCH_EXE_CALLS, count = std::to_string(*n);
  auto space = BenchSpace::create(tproc, "tproc-bench-exe");
  if (!space) return 1;
  const std::string with = space->name(), without = space->sibling("noreclaim");
  setenv("TPROC_RECLAIM", "off", 1);
  const RunResult started = run(space->run_args_in(without, {calls, "100"}), /*capture=*/true);
  unsetenv("TPROC_RECLAIM");
  if (!started.ok() || !run(space->run_args_in(with, {calls, "100"}), /*capture=*/true).ok()) {
    std::fprintf(stderr, "exe_bench: starting the spaces failed\n");
    return 1;
  }
  for (int round = 0; round < 3 && !stop_requested; ++round) {
    const std::pair<const char*, std::vector<std::string>> ways[] = {
        {"direct (no tproc)    ", {calls, count}},
        {"space without filter ", space->run_args_in(without, {calls, count})},
        {"space with filter    ", space->run_args_in(with, {calls, count})}};
    for (const auto& [name, args] : ways) {
      RunResult r = run(args, /*capture=*/true);
      if (!r.ok()) {
        std::fprintf(stderr, "exe_bench: %s: %s\n", name, describe_status(r.status).c_str());
        return 1;
      }
      std::printf("round %d %s ns/call: %s", round + 1, name, r.out.c_str());
    }
  }
  return 0;
}
