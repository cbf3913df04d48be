// Each tproc has a program break of its own (space/program_break.hpp), as a process does: sbrk
// grows and shrinks it, pages given back come back zeroed, a break that cannot move says ENOMEM,
// two tprocs moving theirs at once never touch each other's heap, and the window it lives in goes
// back to the space with the tproc.

#include <catch2/catch.hpp>

#include <string>

#include "daemon_footprint.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

TEST_CASE("a program that keeps its heap with sbrk runs in a space as it runs directly") {
  Sandbox sandbox;
  Outcome direct = sandbox.run_direct({program("sbrk_heap")});
  REQUIRE_THAT(direct, ExitsWith(0));
  CHECK(direct.out ==
        "grew 1048576\nat its end\nshrank to 524288\nregrown pages are zero\nkept 524288\na huge sbrk fails\nmalloc works\n");

  Outcome in_space = sandbox.tproc({"run", "heap", program("sbrk_heap")});
  CHECK_THAT(in_space, ExitsWith(0));
  CHECK(in_space.out == direct.out);
}

TEST_CASE("two tprocs moving their program breaks at once each keep a heap of their own") {
  Sandbox sandbox;
  ChildProcess first = sandbox.start_tproc({"run", "heap", program("sbrk_heap"), "hold", "17"}, {.keep_stdin_open = true});
  REQUIRE(first.wait_for_output("filled\n"));
  // The second one grows, shrinks and fills its break while the first holds its heap full.
  ChildProcess second = sandbox.start_tproc({"run", "heap", program("sbrk_heap"), "hold", "99"}, {.keep_stdin_open = true});
  REQUIRE(second.wait_for_output("filled\n"));
  first.close_stdin();
  Outcome first_outcome = first.wait();
  CHECK_THAT(first_outcome, ExitsWith(0));
  CHECK(first_outcome.out.find("intact\n") != std::string::npos);
  second.close_stdin();
  Outcome second_outcome = second.wait();
  CHECK_THAT(second_outcome, ExitsWith(0));
  CHECK(second_outcome.out.find("intact\n") != std::string::npos);
}

TEST_CASE("the window a tproc's break lives in goes back to the space when the tproc ends") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "heap", program("sbrk_heap")}), ExitsWith(0));  // the daemon's first allocations
  const pid_t daemon = sandbox.daemon_pid("heap");
  const DaemonFootprint baseline = DaemonFootprint::of(daemon);
  for (int run = 0; run < 10; ++run) {
    INFO("run " << run);
    REQUIRE_THAT(sandbox.tproc({"run", "heap", program("sbrk_heap")}), ExitsWith(0));
  }
  DaemonFootprint now;
  CHECK(eventually([&] { return (now = DaemonFootprint::of(daemon)).within(baseline); }, 5s));
  INFO(now.changes_since(baseline));
  CHECK(now.within(baseline));
}
