// Signals sent to `tproc run` reach the program, through the front door's quick path and through
// the full CLI alike; Ctrl-Z stops both `tproc run` and the program; killing `tproc run` kills the
// program unless it was detached with -d.

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// The two ways `tproc run` stands in for its program (cli/front/quick_run.hpp): the front door's
/// quick path, into a space whose daemon runs, and the full CLI, which also starts the daemon.
enum class Door { quick, full };

const char* name_of(Door door) { return door == Door::quick ? "the front door" : "the full CLI"; }

/// Starts `tproc run RUN_ARGS...` (space "sig") through `door`.
ChildProcess start_run(Sandbox& sandbox, Door door, const std::vector<std::string>& run_args) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  if (door == Door::quick) {
    REQUIRE_THAT(sandbox.tproc({"run", "sig", program("exit_with"), "0"}), ExitsWith(0));  // the daemon runs
    return sandbox.start_tproc(args);
  }
  args.insert(args.begin(), full_cli_binary());
  return sandbox.start_direct(args);
}

}  // namespace

TEST_CASE("a signal sent to tproc run reaches the program's handler") {
  const int signal = GENERATE(SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, SIGWINCH);
  const Door door = GENERATE(Door::quick, Door::full);
  const std::string name = sigabbrev_np(signal);
  INFO("SIG" << name << " through " << name_of(door));
  Sandbox sandbox;
  ChildProcess run = start_run(sandbox, door, {"sig", program("wait_signal"), name});
  REQUIRE(run.wait_for_output("ready\n"));
  run.send_signal(signal);
  Outcome outcome = run.wait();
  REQUIRE_THAT(outcome, ExitsWith(0));
  CHECK(outcome.out == "ready\ngot SIG" + name + "\n");
}

TEST_CASE("a signal the program does not handle ends it with 128+N") {
  const int signal = GENERATE(SIGINT, SIGTERM);
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("SIG" << sigabbrev_np(signal) << " through " << name_of(door));
  Sandbox sandbox;
  ChildProcess run = start_run(sandbox, door, {"sig", program("sleeper"), "300"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  run.send_signal(signal);
  CHECK_THAT(run.wait(), ExitsWith(128 + signal));
}

TEST_CASE("Ctrl-Z stops tproc run and its program, SIGCONT resumes both") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  ChildProcess run = start_run(sandbox, door, {"--name", "napper", "sig", program("sleeper"), "1"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  const pid_t napper = sandbox.tproc_info("sig", "napper").pid;

  run.send_signal(SIGTSTP);
  CHECK(eventually([&] { return process_state(run.pid()) == 'T' && process_state(napper) == 'T'; }));
  // Stopped for longer than it meant to sleep: it must still be there, stopped.
  std::this_thread::sleep_for(1500ms);
  CHECK(process_state(napper) == 'T');

  run.send_signal(SIGCONT);
  CHECK_THAT(run.wait(), ExitsWith(0));
}

TEST_CASE("killing tproc run with SIGKILL kills its program") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  ChildProcess run = start_run(sandbox, door, {"--name", "victim", "sig", program("sleeper"), "300"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  auto victim = sandbox.find_tproc("sig", "victim");
  REQUIRE(victim);
  REQUIRE(process_alive(victim->pid));

  run.send_signal(SIGKILL);
  run.wait();

  CHECK(eventually([&] { return !process_alive(victim->pid); }));
  CHECK(eventually([&] {
    auto listed = sandbox.find_tproc("sig", "victim");
    return !listed || listed->state != "running";
  }));
  CHECK_THAT(sandbox.tproc({"run", "sig", program("exit_with"), "0"}), ExitsWith(0));
}

TEST_CASE("a detached program outlives its tproc run") {
  Sandbox sandbox;
  Outcome detached = sandbox.tproc({"run", "-d", "--name", "keeper", "sig", program("sleeper"), "300"});
  REQUIRE_THAT(detached, ExitsWith(0));
  const std::string id = detached.out.substr(0, detached.out.find('\n'));
  CHECK(detached.out == id + "\n");  // only the ID: the program's output goes to its log
  REQUIRE(!id.empty());
  REQUIRE(id.find_first_not_of("0123456789") == std::string::npos);

  auto keeper = sandbox.find_tproc("sig", id);
  REQUIRE(keeper);
  CHECK(keeper->name == "keeper");
  CHECK(keeper->state == "running");
  REQUIRE(process_alive(keeper->pid));

  // Other clients come and go; the detached program stays.
  CHECK_THAT(sandbox.tproc({"run", "sig", program("exit_with"), "0"}), ExitsWith(0));
  CHECK(process_alive(keeper->pid));
  CHECK(sandbox.tproc_info("sig", "keeper").state == "running");

  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "sig", "keeper"}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(keeper->pid); }));
}
