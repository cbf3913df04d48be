// launch_bench [RUNS]: the cost of starting a program with `tproc run SPACE trivial` into a space
// whose daemon already runs, against posix_spawn + waitpid of the same binary, measured end to end
// in the same run (RUNS of each, default 200, interleaved). Prints p50/mean/p90/min and the ratios;
// asserts no timing. Goal (issue 2): at most 1.5x end to end.
//
// It also measures a floor: posix_spawn+wait of `trivial` plus that of the same empty program built
// as the front door is (static, musl: build/bench/trivial_front). That is what any launcher that
// starts a client program costs before the client does anything: `tproc run` cannot go below it.
//
// Then what each way costs in hand-offs, counted rather than timed: the context switches per launch
// (voluntary + involuntary) of the launcher and the program (getrusage RUSAGE_CHILDREN around each
// run), and for `tproc run` those of the daemon's threads and of the tprocs it reaped, with the
// calls the programs' mapping filters sent the daemon: the daemon counts these itself, and
// `tproc stats --format json` read before and after the timed runs gives the difference.
//
// Last, from inside a tproc (build/bench/spawn_inside, run with `tproc run`): tproc_spawn+wait
// against posix_spawn+wait of `trivial`, RUNS of each in the same run (issue 18, goal 0.7x).
//
// Paths come from compile definitions: TPROC_BENCH_TPROC (build/bin/tproc), TPROC_BENCH_TRIVIAL
// (build/bench/trivial) and TPROC_BENCH_TRIVIAL_FRONT (build/bench/trivial_front). The space lives in private temporary TPROC_RUNTIME_DIR / TPROC_HOME
// directories and is removed (space rm -f) at the end.
#include "bench_support.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace tproc::bench;

constexpr int default_runs = 200;
constexpr int warmup_runs = 5;

void print_row(const char* label, const Stats& s) {
  std::printf("%-28s %9.3f %9.3f %9.3f %9.3f\n", label, s.p50 / 1e6, s.mean / 1e6, s.p90 / 1e6, s.min / 1e6);
}

/// Context switches of the children this process has waited for, so far.
long long children_switches() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<long long>(usage.ru_nvcsw) + usage.ru_nivcsw;
}

/// The space daemon's own counters, from `tproc stats SPACE --no-stream --format json`.
struct DaemonCounters {
  double notified_calls = 0;
  double daemon_switches = 0;
  double tproc_switches = 0;  ///< of the tprocs it reaped
};

std::optional<DaemonCounters> read_daemon_counters(const std::string& tproc, const std::string& space) {
  RunResult r = run({tproc, "stats", space, "--no-stream", "--format", "json"}, true);
  auto field = [&](const char* key) -> std::optional<double> {
    const std::string quoted = std::string("\"") + key + "\": ";
    const size_t at = r.out.find(quoted);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(r.out.c_str() + at + quoted.size(), nullptr);
  };
  const auto calls = field("notified_calls"), daemon = field("daemon_context_switches"),
             tprocs = field("ended_tprocs_context_switches");
  if (!r.ok() || !calls || !daemon || !tprocs) {
    std::fprintf(stderr, "launch_bench: tproc stats %s: %s, no counters in its output\n", space.c_str(),
                 describe_status(r.status).c_str());
    return std::nullopt;
  }
  return DaemonCounters{*calls, *daemon, *tprocs};
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
  const std::string trivial = TPROC_BENCH_TRIVIAL;
  auto space = BenchSpace::create(tproc, "tproc-bench-launch");
  if (!space) return 1;

  const std::vector<std::string> direct_args{trivial};
  const std::vector<std::string> front_args{TPROC_BENCH_TRIVIAL_FRONT};
  const std::vector<std::string> tproc_args = space->run_args({trivial});

  // The first tproc run starts the space's daemon; a few more of each warm the caches.
  for (int i = 0; i < warmup_runs && !stop_requested; ++i) {
    for (const auto* args : {&tproc_args, &direct_args, &front_args}) {
      RunResult r = run(*args);
      if (!r.ok() && !stop_requested) {
        std::fprintf(stderr, "launch_bench: warm-up `%s` failed: %s\n", (*args)[0].c_str(), describe_status(r.status).c_str());
        return 1;
      }
    }
  }

  const std::optional<DaemonCounters> daemon_before = read_daemon_counters(tproc, space->name());
  if (!daemon_before) return 1;
  std::vector<double> direct_ns, tproc_ns, front_ns;
  long long direct_switches = 0, tproc_switches = 0, front_switches = 0;  // of the launched processes, summed
  for (int i = 0; i < *runs && !stop_requested; ++i) {
    // Rotate which goes first so none always follows another.
    struct Kind {
      const char* label;
      const std::vector<std::string>* args;
      std::vector<double>* samples;
      long long* switches;
    };
    const Kind kinds[] = {{"direct", &direct_args, &direct_ns, &direct_switches},
                          {"tproc run", &tproc_args, &tproc_ns, &tproc_switches},
                          {"empty front-door-built program", &front_args, &front_ns, &front_switches}};
    for (int turn = 0; turn < 3 && !stop_requested; ++turn) {
      const Kind& kind = kinds[(turn + i) % 3];
      const long long switches_before = children_switches();
      const long long start = now_ns();
      RunResult r = run(*kind.args);
      const long long elapsed = now_ns() - start;
      *kind.switches += children_switches() - switches_before;
      if (stop_requested) break;
      if (!r.ok()) {
        std::fprintf(stderr, "launch_bench: run %d (%s) failed: %s\n", i, kind.label, describe_status(r.status).c_str());
        return 1;
      }
      kind.samples->push_back(static_cast<double>(elapsed));
    }
  }
  if (stop_requested || direct_ns.empty() || tproc_ns.size() != direct_ns.size() || front_ns.size() != direct_ns.size()) {
    std::fprintf(stderr, "launch_bench: interrupted\n");
    return 130;
  }
  const std::optional<DaemonCounters> daemon_after = read_daemon_counters(tproc, space->name());
  if (!daemon_after) return 1;

  const Stats direct = summarize(direct_ns);
  const Stats tprocd = summarize(tproc_ns);
  std::vector<double> floor_ns(direct_ns.size());  // run i of each, added: they ran side by side
  for (size_t i = 0; i < floor_ns.size(); ++i) floor_ns[i] = direct_ns[i] + front_ns[i];
  const Stats floor = summarize(floor_ns);
  std::printf("launch_bench: %zu runs each of %s, space %s\n", direct_ns.size(), trivial.c_str(), space->name().c_str());
  std::printf("%-28s %9s %9s %9s %9s\n", "(milliseconds)", "p50", "mean", "p90", "min");
  print_row("direct (posix_spawn+wait)", direct);
  print_row("tproc run (space running)", tprocd);
  std::printf("%-28s %8.2fx %8.2fx %8.2fx %8.2fx\n", "ratio tproc run / direct", tprocd.p50 / direct.p50,
              tprocd.mean / direct.mean, tprocd.p90 / direct.p90, tprocd.min / direct.min);
  std::printf("goal (issue 2): at most 1.5x end to end\n");
  print_row("floor (direct + empty client)", floor);
  std::printf("%-28s %8.2fx %8.2fx %8.2fx %8.2fx\n", "ratio floor / direct", floor.p50 / direct.p50,
              floor.mean / direct.mean, floor.p90 / direct.p90, floor.min / direct.min);
  std::printf("%-28s %8.2fx %8.2fx %8.2fx %8.2fx\n", "ratio tproc run / floor", tprocd.p50 / floor.p50,
              tprocd.mean / floor.mean, tprocd.p90 / floor.p90, tprocd.min / floor.min);

  // Hand-offs per launch. The daemon's figures also hold the two stats requests that bracket the
  // runs (a few switches, spread over all of them); nothing else runs in this space.
  const double n = static_cast<double>(direct_ns.size());
  const double daemon_per = (daemon_after->daemon_switches - daemon_before->daemon_switches) / n;
  const double program_per = (daemon_after->tproc_switches - daemon_before->tproc_switches) / n;
  std::printf("%-28s %9s %9s %9s %9s %9s\n", "(per launch)", "client", "daemon", "program", "switches", "notified");
  std::printf("%-28s %9s %9s %9.1f %9.1f %9s\n", "direct", "-", "-", direct_switches / n, direct_switches / n, "-");
  std::printf("%-28s %9s %9s %9.1f %9.1f %9s\n", "empty front-door program", "-", "-", front_switches / n, front_switches / n,
              "-");
  std::printf("%-28s %9.1f %9.1f %9.1f %9.1f %9.1f\n", "tproc run", tproc_switches / n, daemon_per, program_per,
              tproc_switches / n + daemon_per + program_per,
              (daemon_after->notified_calls - daemon_before->notified_calls) / n);
  std::printf("(context switches, voluntary + involuntary; notified: calls the mapping filter sent the daemon)\n");

  // The daemon's own part of each launch (request received to child started), as it reports it.
  setenv("TPROC_REPORT_LAUNCH_NS", "1", 1);
  std::vector<double> daemon_ns;
  for (int i = 0; i < std::min(*runs, 100) && !stop_requested; ++i) {
    RunResult r = run(tproc_args, true, STDERR_FILENO);
    const size_t at = r.out.find("daemon launch ");
    if (r.ok() && at != std::string::npos) daemon_ns.push_back(std::stod(r.out.substr(at + 14)));
  }
  unsetenv("TPROC_REPORT_LAUNCH_NS");
  if (!daemon_ns.empty()) {
    const Stats daemon = summarize(daemon_ns);
    std::printf("%-28s %9.3f %9.3f %9.3f %9.3f\n", "daemon's part of tproc run", daemon.p50 / 1e6, daemon.mean / 1e6,
                daemon.p90 / 1e6, daemon.min / 1e6);
    std::printf("goal (issue 2): the daemon's part under 0.300 ms\n");
  }

  // Starting a program from inside a tproc: spawn_inside measures and prints both ways itself.
  std::fflush(stdout);
  RunResult inside = run(space->run_args({TPROC_BENCH_SPAWN_INSIDE, std::to_string(*runs), trivial}));
  if (!inside.ok() && !stop_requested) {
    std::fprintf(stderr, "launch_bench: spawn_inside failed: %s\n", describe_status(inside.status).c_str());
    return 1;
  }
  return 0;
}
