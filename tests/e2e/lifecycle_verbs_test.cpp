// The lifecycle verbs a docker user reaches for (issue 16): rm [-f], wait, run --rm, stop and kill
// of several tprocs at once, names that stay taken until their tproc is removed, and labels.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// Whether ps -a lists the tproc (false while the space does not run yet).
bool listed(Sandbox& sandbox, const std::string& space, const std::string& id_or_name) {
  try {
    return sandbox.find_tproc(space, id_or_name, true).has_value();
  } catch (const std::exception&) {
    return false;
  }
}

/// True once ps -a shows the tproc as exited.
bool exited(Sandbox& sandbox, const std::string& space, const std::string& id) {
  auto found = sandbox.find_tproc(space, id, true);
  return found && found->state == "exited";
}

}  // namespace

TEST_CASE("rm removes an exited tproc's record and log, and frees its name") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "job", "s", program("exit_with"), "3"});
  REQUIRE(eventually([&] { return exited(sandbox, "s", id); }));
  const auto logs = sandbox.home_dir();

  Outcome removed = sandbox.tproc({"rm", "s", "job"});
  REQUIRE_THAT(removed, ExitsWith(0));
  CHECK(removed.out == "job\n");
  CHECK_FALSE(listed(sandbox, "s", id));
  CHECK_THAT(sandbox.tproc({"logs", "s", id}), IsOneLineError().naming("no tproc '" + id + "'"));
  // The name is free again.
  CHECK_NOTHROW(sandbox.detach({"--name", "job", "s", program("exit_with"), "0"}));
}

TEST_CASE("rm refuses a running tproc, rm -f kills it and returns once its name is free") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "nap", "s", program("sleeper"), "300"});
  const pid_t pid = sandbox.tproc_info("s", id).pid;

  Outcome refused = sandbox.tproc({"rm", "s", "nap"});
  CHECK_THAT(refused, IsOneLineError().naming("tproc " + id + " (nap)").because_of({"running"}));
  CHECK(process_alive(pid));

  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", "nap"}), ExitsWith(0));
  CHECK_FALSE(process_alive(pid));
  CHECK_FALSE(listed(sandbox, "s", id));
  // At once, no waiting: rm -f answered after the record was gone.
  CHECK_NOTHROW(sandbox.detach({"--name", "nap", "s", program("sleeper"), "300"}));
  CHECK_THAT(sandbox.tproc({"rm", "-f", "s", "nap"}), ExitsWith(0));
}

TEST_CASE("rm of several tprocs removes each and names the one it does not know") {
  Sandbox sandbox;
  const std::string one = sandbox.detach({"s", program("exit_with"), "0"});
  const std::string two = sandbox.detach({"s", program("exit_with"), "1"});
  REQUIRE(eventually([&] { return exited(sandbox, "s", one) && exited(sandbox, "s", two); }));

  Outcome removed = sandbox.tproc({"rm", "s", one, "ghost", two});
  CHECK(removed.status == 1);
  CHECK(removed.out == one + "\n" + two + "\n");
  CHECK_THAT(removed, IsOneLineError().naming("no tproc 'ghost' in space 's'"));
  CHECK(sandbox.ps("s", true).empty());
}

TEST_CASE("wait prints each exit status in the order asked, 128+N for a signal") {
  Sandbox sandbox;
  const std::string done = sandbox.detach({"s", program("exit_with"), "7"});
  REQUIRE(eventually([&] { return exited(sandbox, "s", done); }));
  const std::string nap = sandbox.detach({"--name", "nap", "s", program("sleeper"), "300"});
  const std::string quick = sandbox.detach({"s", program("sleeper"), "0.3"});

  ChildProcess waiting = sandbox.start_tproc({"wait", "s", "nap", done, quick});
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(waiting.exited());  // nap still runs: no answer yet
  REQUIRE_THAT(sandbox.tproc({"kill", "s", "nap"}), ExitsWith(0));
  Outcome waited = waiting.wait();
  REQUIRE_THAT(waited, ExitsWith(0));
  CHECK(waited.out == "137\n7\n0\n");
}

TEST_CASE("wait on an attached run gets the status its tproc run gets") {
  Sandbox sandbox;
  ChildProcess run = sandbox.start_tproc({"run", "--name", "fg", "s", "/bin/sh", "-c", "sleep 1; exit 4"});
  REQUIRE(eventually([&] { return listed(sandbox, "s", "fg"); }));
  Outcome waited = sandbox.tproc({"wait", "s", "fg"});
  CHECK(run.wait().status == 4);
  REQUIRE_THAT(waited, ExitsWith(0));
  CHECK(waited.out == "4\n");
}

TEST_CASE("wait names a tproc it does not know and exits 1") {
  Sandbox sandbox;
  sandbox.detach({"s", program("exit_with"), "0"});
  CHECK_THAT(sandbox.tproc({"wait", "s", "ghost"}), IsOneLineError().naming("no tproc 'ghost' in space 's'"));
}

TEST_CASE("run --rm leaves no record once the program exits") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--rm", "--name", "once", "s", program("sleeper"), "0.2"});
  CHECK(listed(sandbox, "s", id));
  CHECK(eventually([&] { return !listed(sandbox, "s", id); }));
  CHECK_NOTHROW(sandbox.detach({"--name", "once", "s", program("exit_with"), "0"}));
  REQUIRE_THAT(sandbox.tproc({"run", "--rm", "s", program("exit_with"), "5"}), ExitsWith(5));
}

TEST_CASE("stop and kill take several tprocs, and go on past one they do not know") {
  Sandbox sandbox;
  const std::string a = sandbox.detach({"--name", "a", "s", program("sleeper"), "300"});
  const std::string b = sandbox.detach({"--name", "b", "s", program("sleeper"), "300"});
  const std::string c = sandbox.detach({"--name", "c", "s", program("sleeper"), "300"});
  const pid_t pids[] = {sandbox.tproc_info("s", a).pid, sandbox.tproc_info("s", b).pid, sandbox.tproc_info("s", c).pid};

  Outcome stopped = sandbox.tproc({"stop", "s", "a", "ghost", "b"});
  CHECK(stopped.status == 1);
  CHECK(stopped.out == "a\nb\n");
  CHECK_THAT(stopped, IsOneLineError().naming("no tproc 'ghost'"));
  CHECK_FALSE(process_alive(pids[0]));
  CHECK_FALSE(process_alive(pids[1]));
  CHECK(process_alive(pids[2]));

  Outcome killed = sandbox.tproc({"kill", "-s", "TERM", "s", c, "a"});
  CHECK(killed.status == 1);  // a has exited already
  CHECK(killed.out == c + "\n");
  CHECK_THAT(killed, IsOneLineError().naming("tproc " + a + " (a)").because_of({"not running"}));
  CHECK(eventually([&] { return !process_alive(pids[2]); }));
}

TEST_CASE("a name stays taken while its tproc runs or is kept, and the refusal says by whom") {
  Sandbox sandbox;
  const std::string running = sandbox.detach({"--name", "web", "s", program("sleeper"), "300"});
  Outcome taken = sandbox.tproc({"run", "-d", "--name", "web", "s", program("exit_with"), "0"});
  CHECK_THAT(taken, IsOneLineError().naming("name 'web' is already in use by tproc " + running).naming("tproc rm -f s " + running));
  CHECK(taken.status == 125);

  const std::string done = sandbox.detach({"--name", "batch", "s", program("exit_with"), "0"});
  REQUIRE(eventually([&] { return exited(sandbox, "s", done); }));
  CHECK_THAT(sandbox.tproc({"run", "--name", "batch", "s", program("exit_with"), "0"}),
             IsOneLineError().naming("tproc " + done + " (exited)").naming("tproc rm s " + done));
  CHECK(sandbox.ps("s", true).size() == 2);
}

TEST_CASE("a name that is not one word, or is all digits, is refused") {
  Sandbox sandbox;
  for (const std::string name : {"two words", "a/b", "42", "-x", ""}) {
    INFO("name '" << name << "'");
    CHECK_THAT(sandbox.tproc({"run", "--name", name, "s", program("exit_with"), "0"}),
               IsOneLineError().naming("invalid name '" + name + "'"));
  }
  CHECK(sandbox.ps("s", true).empty());
}

TEST_CASE("labels are kept with the tproc and listed by ps --format json") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--label", "tier=web", "-l", "canary", "s", program("sleeper"), "300"});
  const TprocInfo info = sandbox.tproc_info("s", id);
  CHECK(info.labels == std::map<std::string, std::string>{{"tier", "web"}, {"canary", ""}});
  CHECK_THAT(sandbox.tproc({"run", "--label", "=x", "s", program("exit_with"), "0"}), IsOneLineError().naming("--label '=x'"));
  CHECK_THAT(sandbox.tproc({"rm", "-f", "s", id}), ExitsWith(0));
}

TEST_CASE("a verb of several tprocs says once that the space does not run") {
  Sandbox sandbox;
  for (const char* verb : {"stop", "kill", "rm", "wait"}) {
    INFO(verb);
    CHECK_THAT(sandbox.tproc({verb, "nowhere", "1", "2", "3"}), IsOneLineError().naming("no space 'nowhere'"));
  }
}
