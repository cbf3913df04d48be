// Faults (issue 6): a tproc that crashes, is killed, stopped, closes its stdio, execs, or forks a
// child that outlives it ends with the status a direct run would give, and leaves the daemon and a
// running sibling unharmed; a daemon killed -9 leaves its running tprocs running.
//
// The sibling is a canary (tests/programs/canary.c): it fills memory with a pattern and, when the
// test is done, checks every byte and allocates fresh memory, so "unharmed" means its memory is
// intact and the space still serves its mapping calls, not merely that its pid exists.

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A running sibling: a canary attached through its own `tproc run --name sibling`.
class Sibling {
 public:
  Sibling(Sandbox& sandbox, const std::string& space)
      : run_(sandbox.start_tproc({"run", "--name", "sibling", space, program("canary"), "8"})) {
    if (!run_.wait_for_output("ready\n"))
      throw std::runtime_error("the sibling canary did not start: " + run_.err());
  }

  /// Tells the canary to check its memory and allocate more; returns how its `tproc run` ended.
  Outcome check() {
    run_.send_signal(SIGUSR1);  // tproc run forwards it to the canary
    return run_.wait();
  }

 private:
  ChildProcess run_;
};

/// A space with a sibling running, where a test provokes one fault.
struct FaultScene {
  Sandbox sandbox;
  const std::string space = "faults";
  Sibling sibling{sandbox, space};
  const pid_t daemon = sandbox.daemon_pid(space);

  /// Runs `tproc run SPACE ARGS...`.
  Outcome run(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"run", space};
    full.insert(full.end(), args.begin(), args.end());
    return sandbox.tproc(full);
  }

  /// The daemon is the same process and answers space ls and ps, it still starts programs, and
  /// the sibling runs on with its memory intact and can still allocate.
  void expect_unharmed() {
    INFO("after the fault: the daemon and the sibling");
    REQUIRE(process_alive(daemon));
    CHECK(sandbox.daemon_pid(space) == daemon);
    auto listed = sandbox.find_tproc(space, "sibling");
    REQUIRE(listed);
    CHECK(listed->state == "running");
    CHECK(process_alive(listed->pid));
    CHECK_THAT(run({program("exit_with"), "0", "still serving"}), ExitsWith(0));
    Outcome checked = sibling.check();
    CHECK_THAT(checked, ExitsWith(0));
    CHECK(checked.out == "ready\nintact\n");
  }
};

/// Runs `crash MODE` in the scene and directly; both end with `status` and print the same.
void expect_crash(const std::string& mode, int status) {
  FaultScene scene;
  Outcome crashed = scene.run({program("crash"), mode});
  CHECK_THAT(crashed, ExitsWith(status));
  Outcome direct = scene.sandbox.run_direct({program("crash"), mode});
  REQUIRE_THAT(direct, ExitsWith(status));
  CHECK(crashed.out == direct.out);
  CHECK(crashed.err == direct.err);  // tproc adds nothing of its own to a program's death
  scene.expect_unharmed();
}

/// Sends SIGKILL to every pid in `pids` that is still alive (programs orphaned by a dead daemon).
void kill_all(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids)
    if (process_alive(pid)) ::kill(pid, SIGKILL);
  for (pid_t pid : pids) eventually([&] { return !process_alive(pid); }, 5s);
}

/// Kills the listed processes when a test ends, passed or failed.
struct KillOnExit {
  std::vector<pid_t> pids;
  ~KillOnExit() { kill_all(pids); }
};

/// Starts `sleeper 300` detached as NAME and waits until it sleeps: past its start-up, whose
/// mapping calls (ld.so loading libc) would fail once the daemon is dead. Returns its pid.
pid_t start_sleeper(Sandbox& sandbox, const std::string& space, const std::string& name) {
  const std::string id = sandbox.detach({"--name", name, space, program("sleeper"), "300"});
  const fs::path log = sandbox.home_dir() / "spaces" / space / "logs" / (id + ".log");
  REQUIRE(eventually([&] { return fs::exists(log) && read_file(log) == "sleeping\n"; }));
  return sandbox.tproc_info(space, name).pid;
}

/// Kills the daemon of `space` with SIGKILL and waits until it is gone.
pid_t kill_daemon(Sandbox& sandbox, const std::string& space) {
  const pid_t daemon = sandbox.daemon_pid(space);
  REQUIRE(::kill(daemon, SIGKILL) == 0);
  REQUIRE(eventually([&] { return !process_alive(daemon); }));
  return daemon;
}

}  // namespace

TEST_CASE("a null dereference ends the tproc with 139, the daemon and a sibling are unharmed") {
  expect_crash("nullderef", 128 + SIGSEGV);
}

TEST_CASE("an abort ends the tproc with 134, the daemon and a sibling are unharmed") {
  expect_crash("abort", 128 + SIGABRT);
}

TEST_CASE("a stack overflow ends the tproc with 139, the daemon and a sibling are unharmed") {
  // The recursion runs into the stack's guard, not into a neighbour's memory: the canary checks.
  expect_crash("stackoverflow", 128 + SIGSEGV);
}

TEST_CASE("exit_group from a second thread ends the tproc with its status, the space is unharmed") {
  expect_crash("thread_exit_group", 7);
}

TEST_CASE("kill -9 of a tproc: its tproc run exits 137 and the space is unharmed") {
  FaultScene scene;
  ChildProcess run =
      scene.sandbox.start_tproc({"run", "--name", "victim", scene.space, program("sleeper"), "300"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  const TprocInfo victim = scene.sandbox.tproc_info(scene.space, "victim");

  REQUIRE(::kill(victim.pid, SIGKILL) == 0);
  Outcome outcome = run.wait();
  CHECK_THAT(outcome, ExitsWith(128 + SIGKILL));
  CHECK(outcome.out == "sleeping\n");
  CHECK(outcome.err.empty());
  CHECK(eventually([&] { return !scene.sandbox.find_tproc(scene.space, "victim"); }));
  scene.expect_unharmed();
}

TEST_CASE("kill -9 of tproc run stops its program, the space is unharmed") {
  FaultScene scene;
  ChildProcess run =
      scene.sandbox.start_tproc({"run", "--name", "victim", scene.space, program("sleeper"), "300"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  const TprocInfo victim = scene.sandbox.tproc_info(scene.space, "victim");

  run.send_signal(SIGKILL);
  run.wait();
  CHECK(eventually([&] { return !process_alive(victim.pid); }));
  CHECK(eventually([&] {
    auto listed = scene.sandbox.find_tproc(scene.space, "victim");
    return !listed || listed->state != "running";
  }));
  scene.expect_unharmed();
}

TEST_CASE("kill -9 of tproc run -d leaves its program running, the space is unharmed") {
  FaultScene scene;
  ChildProcess run = scene.sandbox.start_tproc(
      {"run", "-d", "--name", "keeper", scene.space, program("sleeper"), "300"});
  auto id = run.first_line();
  REQUIRE(id);
  run.send_signal(SIGKILL);  // most likely it is already done: -d returns once the program started
  run.wait();
  const TprocInfo keeper = scene.sandbox.tproc_info(scene.space, "keeper");
  CHECK(keeper.id == *id);

  std::this_thread::sleep_for(300ms);
  CHECK(process_alive(keeper.pid));
  CHECK(scene.sandbox.tproc_info(scene.space, "keeper").state == "running");
  REQUIRE_THAT(scene.sandbox.tproc({"kill", scene.space, "keeper"}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(keeper.pid); }));
  scene.expect_unharmed();
}

TEST_CASE("SIGSTOP and SIGCONT of a tproc: it waits stopped, then resumes and ends with its status") {
  FaultScene scene;
  ChildProcess run = scene.sandbox.start_tproc(
      {"run", "--name", "paused", scene.space, program("sleeper"), "0.5"});
  REQUIRE(run.wait_for_output("sleeping\n"));
  const TprocInfo paused = scene.sandbox.tproc_info(scene.space, "paused");

  REQUIRE(::kill(paused.pid, SIGSTOP) == 0);
  CHECK(eventually([&] { return process_state(paused.pid) == 'T'; }));
  std::this_thread::sleep_for(1s);  // longer than the program's sleep
  CHECK_FALSE(run.exited());         // a stop is not an exit: tproc run keeps waiting
  CHECK(process_state(paused.pid) == 'T');
  auto listed = scene.sandbox.find_tproc(scene.space, "paused");
  REQUIRE(listed);
  CHECK(listed->state == "running");

  REQUIRE(::kill(paused.pid, SIGCONT) == 0);
  Outcome outcome = run.wait();
  CHECK_THAT(outcome, ExitsWith(0));
  CHECK(outcome.out == "sleeping\n");
  CHECK(outcome.err.empty());
  scene.expect_unharmed();
}

TEST_CASE("a tproc that closes its stdio and exits 0: tproc run exits 0") {
  FaultScene scene;
  Outcome closed = scene.run({program("close_stdio"), "0"});
  CHECK_THAT(closed, ExitsWith(0));
  CHECK(closed.out == "closing\n");
  CHECK(closed.err.empty());
  CHECK_THAT(scene.run({program("close_stdio"), "3"}), ExitsWith(3));
  scene.expect_unharmed();
}

TEST_CASE("a tproc that execs another program ends with that program's status and output") {
  FaultScene scene;
  CHECK_THAT(scene.run({program("exec_into"), "/bin/true"}), ExitsWith(0));
  CHECK_THAT(scene.run({program("exec_into"), "/bin/sh", "-c", "exit 5"}), ExitsWith(5));
  Outcome echoed = scene.run({program("exec_into"), "/bin/echo", "from", "the exec'd program"});
  CHECK_THAT(echoed, ExitsWith(0));
  CHECK(echoed.out == "from the exec'd program\n");
  Outcome missing = scene.run({program("exec_into"), "/nonexistent/program"});
  CHECK_THAT(missing, ExitsWith(127));
  CHECK(contains(missing.err, "/nonexistent/program"));
  scene.expect_unharmed();
}

TEST_CASE("a tproc's forked child outlives it and can still allocate memory") {
  // The child inherits the mapping filter; its mapping calls still reach the daemon's listener
  // after its parent (the tproc) is gone and reclaimed, and must simply run in the child's own mm.
  FaultScene scene;
  const fs::path report = scene.sandbox.root() / "child-report";
  Outcome parent = scene.run({program("fork_outlive"), report.native()});
  REQUIRE_THAT(parent, ExitsWith(0));
  REQUIRE(parent.out.rfind("forked ", 0) == 0);
  const pid_t child = static_cast<pid_t>(std::stol(parent.out.substr(7)));

  CHECK(eventually([&] { return fs::exists(report); }));
  if (fs::exists(report)) CHECK(read_file(report) == "child ok\n");
  CHECK(eventually([&] { return !process_alive(child); }));
  scene.expect_unharmed();
}

// The daemon killed -9. Its tprocs keep running: the daemon's listener keeper (forked from it at
// start) answers their mapping calls from then on and keeps holding the space's lock, so no new
// daemon starts over them; `tproc space rm -f` asks the keeper to end them.
TEST_CASE("kill -9 of the daemon: its tprocs keep running and can still allocate memory") {
  Sandbox sandbox;
  const std::string space = "orphans";
  const std::string id = sandbox.detach({"--name", "canary", space, program("canary"), "4"});
  const pid_t canary = sandbox.tproc_info(space, "canary").pid;
  const pid_t sleeper = start_sleeper(sandbox, space, "detached");
  KillOnExit orphans{{canary, sleeper}};
  const fs::path log = sandbox.home_dir() / "spaces" / space / "logs" / (id + ".log");
  REQUIRE(eventually([&] { return fs::exists(log) && read_file(log) == "ready\n"; }));

  kill_daemon(sandbox, space);
  std::this_thread::sleep_for(300ms);
  CHECK(process_alive(sleeper));
  REQUIRE(::kill(canary, SIGUSR1) == 0);
  REQUIRE(eventually([&] { return !process_alive(canary); }));
  CHECK(read_file(log) == "ready\nintact\n");
}

// What an attached `tproc run` does when the daemon is killed: tests/e2e/stand_in_test.cpp.

TEST_CASE("kill -9 of the daemon: no new daemon starts over its live tprocs, and space rm -f ends them") {
  Sandbox sandbox;
  const std::string space = "orphans";
  const pid_t first = start_sleeper(sandbox, space, "detached");
  const pid_t second = start_sleeper(sandbox, space, "second");
  KillOnExit orphans{{first, second}};
  kill_daemon(sandbox, space);

  // Every client gets one clear line; a run says what to do.
  Outcome listed = sandbox.tproc({"ps", space});
  CHECK_THAT(listed, IsOneLineError().naming(space));
  Outcome run = sandbox.tproc({"run", space, program("exit_with"), "0"});
  CHECK(run.status != 0);
  CHECK_THAT(run, IsOneLineError().naming(space).because_of({"space rm -f"}));
  auto spaces = sandbox.spaces();
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].state == "dead");
  CHECK(process_alive(first));
  CHECK(process_alive(second));

  // rm without -f refuses while they run; with -f it ends them, and the space starts afresh.
  Outcome refused = sandbox.tproc({"space", "rm", space});
  CHECK(refused.status != 0);
  CHECK_THAT(refused, IsOneLineError().naming(space).because_of({"-f"}));
  CHECK_THAT(sandbox.tproc({"space", "rm", "-f", space}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(first) && !process_alive(second); }));
  CHECK_THAT(sandbox.tproc({"run", space, program("exit_with"), "4"}), ExitsWith(4));
}
