// A space without the reclaim mechanism (issue 6: `tproc daemon --no-reclaim`, or TPROC_RECLAIM=off
// in the environment of the `tproc run` that starts the daemon): no mapping filter, no mapping
// server. It runs programs like any space, `space ls` says it does not reclaim, and -- honestly --
// it does not: what a program maps stays in the space after it ends, where a normal space gives it
// back. What only the mechanism can do (an address_space limit, the load address of a PIE bundle
// for its symbol endpoints) is refused with a reason rather than silently skipped.

#include <catch2/catch.hpp>

#include <signal.h>

#include <sstream>
#include <string>
#include <thread>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

const std::string kWithout = "noreclaim";
const std::string kWith = "reclaims";

/// Runs `tproc run SPACE ARGS...` with TPROC_RECLAIM=off, so the space starts without reclaim.
Outcome run_starting_without_reclaim(Sandbox& sandbox, const std::string& space, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", space});
  return sandbox.tproc(args, {.extra_env = {"TPROC_RECLAIM=off"}});
}

/// The `reclaim` member of `space`'s row in `tproc space ls --format json`: "true", "false" or "".
std::string listed_reclaim(Sandbox& sandbox, const std::string& space) {
  Outcome listed = sandbox.tproc({"space", "ls", "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  std::istringstream rows(listed.out);
  for (std::string row; std::getline(rows, row);) {
    if (row.find("\"name\": \"" + space + "\"") == std::string::npos) continue;
    if (row.find("\"reclaim\": true") != std::string::npos) return "true";
    if (row.find("\"reclaim\": false") != std::string::npos) return "false";
  }
  return "";
}

}  // namespace

TEST_CASE("a space whose daemon runs without reclaim runs programs like any space and says it does not reclaim") {
  Sandbox sandbox;
  Outcome first = run_starting_without_reclaim(sandbox, kWithout, {program("exit_with"), "3", "first run"});
  CHECK_THAT(first, ExitsWith(3));
  CHECK(first.out == "first run\n");
  REQUIRE_THAT(sandbox.tproc({"run", kWith, program("exit_with"), "0"}), ExitsWith(0));

  // The setting belongs to the daemon: later runs need not repeat it.
  Outcome hello = sandbox.tproc({"run", kWithout, sample("hello", "hello")});
  CHECK_THAT(hello, ExitsWith(0));
  CHECK_FALSE(hello.out.empty());
  CHECK_THAT(sandbox.tproc({"run", kWithout, program("threads_tls")}), ExitsWith(0));
  const std::string file = sandbox.write_file("mapped-file", std::string(64 * 1024, 'm'), 0644);
  Outcome mapped = sandbox.tproc({"run", kWithout, program("map_lots"), file});
  CHECK_THAT(mapped, ExitsWith(0));
  CHECK(mapped.out.rfind("mapped ", 0) == 0);
  // Detached, with its output kept, and stopped by a signal.
  const std::string id = sandbox.detach({kWithout, program("sleeper"), "30"});
  REQUIRE(eventually([&] { return sandbox.find_tproc(kWithout, id).has_value(); }));
  CHECK_THAT(sandbox.tproc({"kill", kWithout, id}), ExitsWith(0));
  CHECK(eventually([&] { return !sandbox.find_tproc(kWithout, id).has_value(); }));

  CHECK(listed_reclaim(sandbox, kWithout) == "false");
  CHECK(listed_reclaim(sandbox, kWith) == "true");
  Outcome table = sandbox.tproc({"space", "ls"});
  CHECK(table.out.find("RECLAIM") != std::string::npos);
}

TEST_CASE("without reclaim what a program mapped stays in the space after it ends, with it, it is given back") {
  Sandbox sandbox;
  const std::string file = sandbox.write_file("mapped-file", std::string(256 * 1024, 'm'), 0644);
  // One warm-up run each: the daemons' own first allocations.
  REQUIRE_THAT(run_starting_without_reclaim(sandbox, kWithout, {program("map_lots"), file}), ExitsWith(0));
  REQUIRE_THAT(sandbox.tproc({"run", kWith, program("map_lots"), file}), ExitsWith(0));
  const pid_t without = sandbox.daemon_pid(kWithout), with = sandbox.daemon_pid(kWith);
  std::this_thread::sleep_for(200ms);  // the daemons reclaim (or not) after answering the client
  const size_t without_before = mapping_count(without), with_before = mapping_count(with);
  const long without_rss_before = rss_kib(without);

  constexpr int kRuns = 3;
  for (int run = 0; run < kRuns; ++run) {
    INFO("run " << run);
    REQUIRE_THAT(sandbox.tproc({"run", kWithout, program("map_lots"), file}), ExitsWith(0));
    REQUIRE_THAT(sandbox.tproc({"run", kWith, program("map_lots"), file}), ExitsWith(0));
  }

  // map_lots leaves threads' stacks and arenas, big malloc blocks, libm, a file and an mremap'd
  // region behind: dozens of mappings and tens of MiB per run (measured: ~34 mappings, ~40 MiB).
  std::this_thread::sleep_for(200ms);
  INFO("without reclaim: " << without_before << " -> " << mapping_count(without) << " mappings, VmRSS "
                           << without_rss_before << " -> " << rss_kib(without) << " KiB");
  CHECK(mapping_count(without) >= without_before + kRuns * 10);
  CHECK(rss_kib(without) >= without_rss_before + kRuns * 8 * 1024);
  INFO("with reclaim: " << with_before << " -> " << mapping_count(with) << " mappings");
  CHECK(eventually([&] { return mapping_count(with) <= with_before + 2; }, 5s));
}

TEST_CASE("a space without reclaim refuses what only the mechanism can do, naming why") {
  Sandbox sandbox;
  REQUIRE_THAT(run_starting_without_reclaim(sandbox, kWithout, {program("exit_with"), "0"}), ExitsWith(0));

  // The daemon enforces an address_space limit on what the tproc maps through it.
  const std::string limited = bundle_of(sandbox, "limited", program("exit_with"), "args: [\"0\"]\nlimits: {address_space: 1G}\n");
  CHECK_THAT(sandbox.tproc({"run", kWithout, limited}),
             IsOneLineError().naming(kWithout).because_of({"address_space"}));

  // The load address of a PIE bundle's executable comes from ld.so's mmap, through the mechanism.
  const std::string declares = bundle_of(sandbox, "declares", program("registry_probe"),
                                         "args: [\"list\"]\n"
                                         "endpoints: [{name: probe.declared, symbol: probe_endpoint, kind: probe.text}]\n");
  CHECK_THAT(sandbox.tproc({"run", kWithout, declares}), IsOneLineError().naming(kWithout).because_of({"endpoints"}));
  // Endpoints without a symbol need no load address: those are published as in any space.
  const std::string plain = bundle_of(sandbox, "plain", program("registry_probe"),
                                      "args: [\"list\"]\n"
                                      "endpoints: [{name: probe.plain, kind: probe.text, ready: auto}]\n");
  Outcome listed = sandbox.tproc({"run", kWithout, plain});
  CHECK_THAT(listed, ExitsWith(0));
  CHECK(listed.out.find("endpoint probe.plain owner") != std::string::npos);

  // The space keeps serving.
  CHECK_THAT(sandbox.tproc({"run", kWithout, program("exit_with"), "0"}), ExitsWith(0));
}
