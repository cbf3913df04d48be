// Managing what runs in a space: ps, stop, kill, logs, space ls, space rm; clear errors for
// unknown spaces and tprocs; and a daemon that stays flat over many runs.

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <vector>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// True once ps no longer shows the tproc as running (gone, or listed as exited).
bool stopped(Sandbox& sandbox, const std::string& space, const std::string& id) {
  auto listed = sandbox.find_tproc(space, id);
  return !listed || listed->state != "running";
}

/// True once `tproc logs SPACE ID` shows `text`.
bool logs_show(Sandbox& sandbox, const std::string& space, const std::string& id,
               const std::string& text) {
  Outcome logs = sandbox.tproc({"logs", space, id});
  return logs.status == 0 && contains(logs.out, text);
}

}  // namespace

TEST_CASE("ps lists a detached program") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "nap", "life", program("sleeper"), "300"});

  Outcome table = sandbox.tproc({"ps", "life"});
  REQUIRE_THAT(table, ExitsWith(0));
  auto rows = lines(table.out);
  REQUIRE(rows.size() >= 2);
  const std::string& header = rows[0];
  size_t column = 0;
  for (const char* name : {"ID", "NAME", "PID", "STATE", "STARTED", "COMMAND"}) {
    INFO("column " << name << " in: " << header);
    column = header.find(name, column);
    CHECK(column != std::string::npos);
  }
  bool row_found = false;
  for (const std::string& row : rows)
    row_found |= contains(row, id) && contains(row, "nap") && contains(row, "running") &&
                 contains(row, "sleeper");
  CHECK(row_found);

  auto nap = sandbox.find_tproc("life", "nap");
  REQUIRE(nap);
  CHECK(nap->space == "life");
  CHECK(nap->id == id);
  CHECK(nap->state == "running");
  CHECK(process_alive(nap->pid));
  CHECK_FALSE(nap->started.empty());
  CHECK(contains(nap->command, "sleeper"));

  bool listed_without_space = false;
  for (const TprocInfo& tproc : sandbox.ps())
    listed_without_space |= tproc.space == "life" && tproc.id == id;
  CHECK(listed_without_space);
}

TEST_CASE("stop ends a program with SIGTERM and ps -a keeps it as exited") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "nap", "life", program("sleeper"), "300"});
  const pid_t pid = sandbox.tproc_info("life", id).pid;

  REQUIRE_THAT(sandbox.tproc({"stop", "life", "nap"}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(pid); }));
  CHECK(eventually([&] { return stopped(sandbox, "life", id); }));
  auto exited = sandbox.find_tproc("life", id, /*all=*/true);
  REQUIRE(exited);
  CHECK(exited->state == "exited");
}

TEST_CASE("stop kills a program that ignores SIGTERM once the grace period is over") {
  Sandbox sandbox;
  const std::string id =
      sandbox.detach({"--name", "stubborn", "life", program("sleeper"), "300", "ignore-term"});
  const pid_t pid = sandbox.tproc_info("life", id).pid;
  REQUIRE(eventually([&] { return logs_show(sandbox, "life", id, "sleeping"); }));

  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "life", id}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(pid); }));
  CHECK(eventually([&] { return stopped(sandbox, "life", id); }));
}

TEST_CASE("kill sends SIGKILL by default") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "nap", "life", program("sleeper"), "300"});
  const pid_t pid = sandbox.tproc_info("life", id).pid;

  REQUIRE_THAT(sandbox.tproc({"kill", "life", "nap"}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(pid); }));
  CHECK(eventually([&] { return stopped(sandbox, "life", id); }));
}

TEST_CASE("kill -s sends a signal given by name or number") {
  const std::string signal =
      GENERATE(as<std::string>{}, "USR1", "SIGUSR1", std::to_string(SIGUSR1));
  INFO("kill -s " << signal);
  Sandbox sandbox;
  const std::string id = sandbox.detach({"life", program("wait_signal"), "USR1"});
  REQUIRE(eventually([&] { return logs_show(sandbox, "life", id, "ready"); }));

  REQUIRE_THAT(sandbox.tproc({"kill", "-s", signal, "life", id}), ExitsWith(0));
  CHECK(eventually([&] { return logs_show(sandbox, "life", id, "got SIGUSR1"); }));
  CHECK(eventually([&] { return stopped(sandbox, "life", id); }));
}

TEST_CASE("logs shows a detached program's stdout and stderr") {
  Sandbox sandbox;
  const std::string id =
      sandbox.detach({"life", program("exit_with"), "0", "to stdout", "to stderr"});
  CHECK(eventually([&] { return stopped(sandbox, "life", id); }));
  CHECK(eventually([&] { return logs_show(sandbox, "life", id, "to stdout"); }));
  // Each on its own stream, as podman does (tests/e2e/logs_test.cpp).
  Outcome logs = sandbox.tproc({"logs", "life", id});
  CHECK(logs.out == "to stdout\n");
  CHECK(logs.err == "to stderr\n");

  sandbox.detach({"--name", "greeter", "life", sample("hello", "hello")});
  CHECK(eventually([&] { return logs_show(sandbox, "life", "greeter", "hello from tproc"); }));
}

TEST_CASE("logs -f follows a program's output until it exits") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"life", program("wait_signal"), "USR1"});
  ChildProcess follower = sandbox.start_tproc({"logs", "-f", "life", id});
  REQUIRE(follower.wait_for_output("ready\n"));

  REQUIRE_THAT(sandbox.tproc({"kill", "-s", "USR1", "life", id}), ExitsWith(0));
  CHECK(follower.wait_for_output("got SIGUSR1\n"));
  CHECK_THAT(follower.wait(), ExitsWith(0));
}

TEST_CASE("space ls lists each space with its daemon and how many programs it runs") {
  Sandbox sandbox;
  sandbox.detach({"alpha", program("sleeper"), "300"});
  REQUIRE_THAT(sandbox.tproc({"run", "beta", program("exit_with"), "0"}), ExitsWith(0));

  auto spaces = sandbox.spaces();
  REQUIRE(spaces.size() == 2);
  const SpaceInfo& alpha = spaces[0].name == "alpha" ? spaces[0] : spaces[1];
  const SpaceInfo& beta = spaces[0].name == "alpha" ? spaces[1] : spaces[0];
  CHECK(alpha.name == "alpha");
  CHECK(beta.name == "beta");
  CHECK(alpha.tprocs == 1);
  CHECK(beta.tprocs == 0);
  CHECK(process_alive(alpha.pid));
  CHECK(process_alive(beta.pid));
  CHECK(alpha.pid != beta.pid);

  Outcome table = sandbox.tproc({"space", "ls"});
  REQUIRE_THAT(table, ExitsWith(0));
  auto rows = lines(table.out);
  REQUIRE(rows.size() == 3);
  CHECK(contains(rows[0], "NAME"));
  CHECK(contains(rows[0], "PID"));
  CHECK(contains(rows[0], "TPROCS"));
  CHECK(contains(table.out, "alpha"));
  CHECK(contains(table.out, "beta"));
}

TEST_CASE("space rm refuses while programs run unless -f, and stops the daemon") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"doomed", program("sleeper"), "300"});
  const pid_t program_pid = sandbox.tproc_info("doomed", id).pid;
  const pid_t daemon = sandbox.daemon_pid("doomed");

  CHECK_THAT(sandbox.tproc({"space", "rm", "doomed"}), IsOneLineError().naming("doomed"));
  CHECK(sandbox.spaces().size() == 1);
  CHECK(process_alive(program_pid));

  REQUIRE_THAT(sandbox.tproc({"space", "rm", "-f", "doomed"}), ExitsWith(0));
  // Done when it returns: the daemon has ended, not only stopped answering.
  CHECK_FALSE(process_alive(daemon));
  CHECK(eventually([&] { return !process_alive(program_pid); }));
  CHECK(sandbox.spaces().empty());
}

TEST_CASE("space rm removes an idle space, and a later run starts it afresh") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "idle", program("exit_with"), "0"}), ExitsWith(0));
  const pid_t daemon = sandbox.daemon_pid("idle");

  REQUIRE_THAT(sandbox.tproc({"space", "rm", "idle"}), ExitsWith(0));
  CHECK_FALSE(process_alive(daemon));
  CHECK(sandbox.spaces().empty());

  REQUIRE_THAT(sandbox.tproc({"run", "idle", program("exit_with"), "0"}), ExitsWith(0));
  CHECK(sandbox.daemon_pid("idle") != daemon);
}

TEST_CASE("ps, stop, kill and logs name an unknown space, and do not create it") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "real", program("exit_with"), "0"}), ExitsWith(0));
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"ps", "nosuch"}, {"stop", "nosuch", "1"}, {"kill", "nosuch", "1"},
           {"logs", "nosuch", "1"}}) {
    INFO("tproc " << command[0] << " nosuch");
    CHECK_THAT(sandbox.tproc(command), IsOneLineError().naming("nosuch"));
  }
  auto spaces = sandbox.spaces();
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].name == "real");
}

TEST_CASE("stop, kill and logs name an unknown tproc") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "real", program("exit_with"), "0"}), ExitsWith(0));
  for (const std::string verb : {"stop", "kill", "logs"}) {
    for (const std::string target : {"999", "ghost"}) {
      INFO("tproc " << verb << " real " << target);
      CHECK_THAT(sandbox.tproc({verb, "real", target}), IsOneLineError().naming(target));
    }
  }
}

TEST_CASE("the daemon holds no more descriptors after 200 runs than before") {
  Sandbox sandbox;
  for (int warm_up = 0; warm_up < 5; ++warm_up)
    REQUIRE_THAT(sandbox.tproc({"run", "flat", program("exit_with"), "0"}), ExitsWith(0));
  const pid_t daemon = sandbox.daemon_pid("flat");
  const size_t before = open_fd_count(daemon);

  for (int run = 0; run < 200; ++run) {
    Outcome outcome = sandbox.tproc({"run", "flat", program("exit_with"), "0"});
    if (outcome.status != 0) {
      INFO("run " << run);
      REQUIRE_THAT(outcome, ExitsWith(0));
    }
  }

  size_t after = 0;
  bool flat = eventually([&] {
    after = open_fd_count(daemon);
    return after <= before;
  }, 5s);
  INFO("daemon fds before: " << before << ", after 200 runs: " << after);
  CHECK(flat);
  CHECK(sandbox.daemon_pid("flat") == daemon);
}

TEST_CASE("a space keeps the 64 latest exited detached programs, and removes the older ones' logs with their records") {
  Sandbox sandbox;
  const std::string space = "kept";
  const std::filesystem::path logs = sandbox.home_dir() / "spaces" / space / "logs";
  auto log_count = [&] {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(logs)) count += entry.path().extension() == ".log";
    return count;
  };
  constexpr int kRuns = 100;
  std::vector<std::string> ids;
  for (int run = 0; run < kRuns; ++run) ids.push_back(sandbox.detach({space, program("exit_with"), "0", "run-" + std::to_string(run)}));
  // Every one has exited (exit_with prints, then exits at once).
  REQUIRE(eventually([&] { return sandbox.ps(space).empty(); }, 30s));
  REQUIRE(eventually([&] { return sandbox.ps(space, true).size() == 64; }, 10s));
  CHECK(log_count() == 64);
  CHECK(logs_show(sandbox, space, ids.back(), "run-" + std::to_string(kRuns - 1)));
  CHECK(logs_show(sandbox, space, ids[kRuns - 64], "run-" + std::to_string(kRuns - 64)));
  // The oldest are gone, records and logs alike: a clear error names the id.
  CHECK_THAT(sandbox.tproc({"logs", space, ids.front()}), IsOneLineError().naming(ids.front()));
  CHECK_FALSE(std::filesystem::exists(logs / (ids.front() + ".log")));
}

TEST_CASE("a new daemon removes the logs an earlier daemon of the space left, which no record reaches any more") {
  Sandbox sandbox;
  const std::string space = "restarted";
  const std::string id = sandbox.detach({space, program("exit_with"), "0", "old"});
  const std::filesystem::path log = sandbox.home_dir() / "spaces" / space / "logs" / (id + ".log");
  REQUIRE(eventually([&] { return logs_show(sandbox, space, id, "old"); }));
  REQUIRE_THAT(sandbox.tproc({"space", "rm", space}), ExitsWith(0));
  // What a daemon that crashed leaves behind (space rm removed the state dir with its logs).
  std::filesystem::create_directories(log.parent_path());
  sandbox.write_file(std::filesystem::relative(log, sandbox.root()).native(), "a stranger's output\n", 0600);
  REQUIRE_THAT(sandbox.tproc({"run", space, program("exit_with"), "0"}), ExitsWith(0));
  CHECK_FALSE(std::filesystem::exists(log));
}
