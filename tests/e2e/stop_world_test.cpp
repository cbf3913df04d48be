// tproc_stop_world / tproc_start_world (issue 15): a tproc stops every thread of every other
// tproc of its space, learns where each one's stack is, and resumes them all.

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

void wait_for_log(Sandbox& sandbox, const std::string& space, const std::string& id, const std::string& text) {
  REQUIRE(eventually([&] { return sandbox.tproc({"logs", space, id}).out.find(text) != std::string::npos; }));
}

}  // namespace

TEST_CASE("stop-the-world stops every thread of three other tprocs, with their stack pointers, and resumes them") {
  Sandbox sandbox;
  const std::string ticker = sandbox.detach({"w", program("pause_probe"), "tick"});
  const std::string threaded = sandbox.detach({"w", program("pause_probe"), "threads", "4"});
  const std::string sleeper = sandbox.detach({"w", program("sleeper"), "60"});
  wait_for_log(sandbox, "w", threaded, "ready");
  wait_for_log(sandbox, "w", sleeper, "sleeping");
  std::map<pid_t, size_t> expected_threads = {{sandbox.tproc_info("w", ticker).pid, 1},
                                              {sandbox.tproc_info("w", threaded).pid, 4},
                                              {sandbox.tproc_info("w", sleeper).pid, 1}};

  Outcome outcome = sandbox.tproc({"run", "w", program("world_stopper")});
  REQUIRE_THAT(outcome, ExitsWith(0));
  INFO(outcome.out);
  std::map<pid_t, std::set<pid_t>> stopped;
  std::istringstream lines(outcome.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "thread") {
      pid_t pid = 0, tid = 0;
      std::string state_word, state, sp_word, in_stack;
      words >> pid >> tid >> state_word >> state >> sp_word >> in_stack;
      CHECK(state == "t");         // stopped by its tracer while the stopper looked
      CHECK(in_stack == "yes");    // the stack pointer is in a stack
      stopped[pid].insert(tid);
    } else if (kind == "after") {
      pid_t pid = 0, tid = 0;
      std::string state;
      words >> pid >> tid >> state;
      CHECK(state != "t");  // running or sleeping again
    }
  }
  CHECK(outcome.out.find("stopped 6\n") != std::string::npos);
  CHECK(outcome.out.find("resumed 0\n") != std::string::npos);
  REQUIRE(stopped.size() == 3);  // the three others, not the stopper itself nor the daemon
  for (const auto& [pid, threads] : expected_threads) CHECK(stopped[pid].size() == threads);

  // They all run on: the ticker keeps ticking, and the space still takes programs.
  const std::string before = sandbox.tproc({"logs", "w", ticker}).out;
  CHECK(eventually([&] { return sandbox.tproc({"logs", "w", ticker}).out.size() > before.size() + 20; }));
  REQUIRE_THAT(sandbox.tproc({"run", "w", program("exit_with"), "0"}), ExitsWith(0));
  for (const std::string& id : {ticker, threaded, sleeper}) CHECK(sandbox.tproc_info("w", id).state == "running");
}

TEST_CASE("stop-the-world outside a space fails with ENOTCONN") {
  Sandbox sandbox;
  Outcome outcome = sandbox.run_direct({program("world_stopper")});
  CHECK(outcome.status == 1);
  CHECK(outcome.out.find("tproc_stop_world: ") == 0);
}
