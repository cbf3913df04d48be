// Reclaim (issue 6): whatever a tproc maps -- heap blocks, thread stacks and arenas, libraries it
// dlopens, files, mremap'd regions -- is given back when it ends, however it ends. The daemon's
// address space (which is the space) returns to its size before the runs: within 2 mappings and a
// small RSS tolerance, with no descriptor more.

#include <catch2/catch.hpp>

#include <errno.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <thread>

#include "daemon_footprint.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// How many sequential runs each test makes (the 10,000-run figure is bench/reclaim_bench's).
constexpr int kRuns = 20;
/// A space, a file for map_lots to map, and the daemon's footprint after one warm-up run.
struct ReclaimScene {
  Sandbox sandbox;
  const std::string space = "reclaim";
  const std::string file = sandbox.write_file("mapped-file", std::string(256 * 1024, 'm'), 0644);
  pid_t daemon = 0;
  DaemonFootprint baseline;

  ReclaimScene() {
    REQUIRE_THAT(run_map_lots(), ExitsWith(0));  // warm-up: the daemon's own first allocations
    daemon = sandbox.daemon_pid(space);
    baseline = settled_footprint();
  }

  Outcome run_map_lots() { return sandbox.tproc({"run", space, program("map_lots"), file}); }

  /// The footprint once the daemon has had a moment for its last reclaim (it answers the client
  /// first, then unmaps): polled until it is within the baseline, or the last one seen.
  DaemonFootprint settled_footprint() {
    if (baseline.mappings.empty()) {
      std::this_thread::sleep_for(200ms);
      return DaemonFootprint::of(daemon);
    }
    DaemonFootprint seen;
    eventually([&] { return (seen = DaemonFootprint::of(daemon)).within(baseline); }, 5s);
    return seen;
  }

  void expect_back_to_baseline(const std::string& after) {
    const DaemonFootprint now = settled_footprint();
    INFO("baseline: " << baseline.describe() << "; after " << after << ": " << now.describe() << "\n"
                      << now.changes_since(baseline));
    CHECK(now.within(baseline));
    CHECK(sandbox.daemon_pid(space) == daemon);
  }
};

}  // namespace

TEST_CASE("after many runs of a program that maps memory every way, the space is back to its baseline") {
  ReclaimScene scene;
  for (int run = 0; run < kRuns; ++run) {
    Outcome outcome = scene.run_map_lots();
    if (outcome.status != 0 || outcome.out.rfind("mapped ", 0) != 0) {
      INFO("run " << run);
      REQUIRE_THAT(outcome, ExitsWith(0));
      REQUIRE(outcome.out.rfind("mapped ", 0) == 0);
    }
  }
  scene.expect_back_to_baseline(std::to_string(kRuns) + " runs of map_lots");
}

TEST_CASE("a program killed -9 while it holds its mappings is reclaimed too") {
  ReclaimScene scene;
  for (int run = 0; run < 3; ++run) {
    INFO("kill " << run);
    ChildProcess held = scene.sandbox.start_tproc({"run", "--name", "held", scene.space, program("map_lots"), scene.file, "hold"});
    REQUIRE(held.wait_for_output("\n"));
    REQUIRE(held.out().rfind("mapped ", 0) == 0);
    const TprocInfo victim = scene.sandbox.tproc_info(scene.space, "held");
    // While it runs, its mappings are in the space.
    CHECK(DaemonFootprint::of(scene.daemon).mappings.size() > scene.baseline.mappings.size() + FootprintTolerance{}.mappings);
    REQUIRE(::kill(victim.pid, SIGKILL) == 0);
    CHECK_THAT(held.wait(), ExitsWith(128 + SIGKILL));
  }
  scene.expect_back_to_baseline("3 runs of map_lots killed -9 while holding their mappings");
}

TEST_CASE("programs that exec out of the space or fork a child that outlives them are reclaimed") {
  ReclaimScene scene;
  for (int run = 0; run < 5; ++run) {
    INFO("run " << run);
    REQUIRE_THAT(scene.sandbox.tproc({"run", scene.space, program("exec_into"), "/bin/true"}), ExitsWith(0));
    const fs::path report = scene.sandbox.root() / ("child-report-" + std::to_string(run));
    REQUIRE_THAT(scene.sandbox.tproc({"run", scene.space, program("fork_outlive"), report.native()}), ExitsWith(0));
    REQUIRE(eventually([&] { return fs::exists(report); }));
    CHECK(read_file(report) == "child ok\n");
  }
  scene.expect_back_to_baseline("runs that exec'd and forked");
}

TEST_CASE("SysV segments a program leaves attached are reclaimed with it, shmdt and shmat again work") {
  ReclaimScene scene;
  for (int run = 0; run < 5; ++run) {
    INFO("run " << run);
    // 16 MiB attached and filled, never detached: 80 MiB over five runs if the space kept them.
    Outcome attached = scene.sandbox.tproc({"run", scene.space, program("shm_attach"), "16"});
    REQUIRE_THAT(attached, ExitsWith(0));
    CHECK(attached.out.rfind("attached 0x", 0) == 0);
    Outcome reattached = scene.sandbox.tproc({"run", scene.space, program("shm_attach"), "4", "detach"});
    REQUIRE_THAT(reattached, ExitsWith(0));
    CHECK(reattached.out.rfind("attached 0x", 0) == 0);
  }
  scene.expect_back_to_baseline("10 runs of shm_attach");
}

TEST_CASE("a foreign ABI's mmap (x86_64's int 0x80) is refused with ENOSYS in a tproc and maps nothing") {
  ReclaimScene scene;
  // Run directly first: the same call maps (so the test would notice a filter that let it
  // through), unless the kernel has no ia32 emulation (built without it, or ia32_emulation=0),
  // where int 0x80 is a general protection fault: then a tproc must die of it just the same.
  Outcome direct = scene.sandbox.run_direct({program("foreign_mmap"), "16"});
  const bool kernel_takes_int80 = direct.status != 128 + SIGSEGV;
  if (kernel_takes_int80) {
    REQUIRE_THAT(direct, ExitsWith(0));
    if (direct.out.find("none on this architecture") == std::string::npos) CHECK(direct.out.rfind("foreign mmap: 0x", 0) == 0);
  }
  for (int run = 0; run < 5; ++run) {
    INFO("run " << run);
    Outcome outcome = scene.sandbox.tproc({"run", scene.space, program("foreign_mmap"), "16"});
    if (!kernel_takes_int80) {
      CHECK(outcome.status == direct.status);
      continue;
    }
    REQUIRE_THAT(outcome, ExitsWith(0));
    const bool has_foreign_abi = outcome.out.find("none on this architecture") == std::string::npos;
    if (has_foreign_abi) CHECK(outcome.out == "foreign mmap: error -" + std::to_string(ENOSYS) + "\n");
  }
  scene.expect_back_to_baseline("5 runs of foreign_mmap");
}
