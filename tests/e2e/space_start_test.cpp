// Starting a space (issue 16): a name one slip from an existing space's is refused with the name
// meant instead of silently starting a second daemon, --new-space starts it anyway, numbered
// names are not slips, and a new space is announced on a terminal only.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

std::vector<std::string> space_names(Sandbox& sandbox) {
  std::vector<std::string> names;
  for (const SpaceInfo& space : sandbox.spaces()) names.push_back(space.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("a space name that differs only in case, or by one letter, is refused with the name meant") {
  Sandbox sandbox;
  sandbox.detach({"demo", program("sleeper"), "30"});

  const Outcome cased = sandbox.tproc({"run", "Demo", program("exit_with"), "0"});
  CHECK(cased.status != 0);
  CHECK_THAT(cased, IsOneLineError().naming("no space 'Demo' (did you mean 'demo'?)").naming("--new-space"));
  CHECK_THAT(sandbox.tproc({"run", "-d", "dmeo", program("sleeper"), "30"}),
             IsOneLineError().naming("did you mean 'demo'?"));
  CHECK_THAT(sandbox.tproc({"run", "demos", program("exit_with"), "0"}), IsOneLineError().naming("did you mean 'demo'?"));
  CHECK(space_names(sandbox) == std::vector<std::string>{"demo"});  // no daemon was started for them

  // The exact name goes to its space; --new-space starts the other one anyway.
  CHECK_THAT(sandbox.tproc({"run", "demo", program("exit_with"), "3"}), ExitsWith(3));
  CHECK_THAT(sandbox.tproc({"run", "--new-space", "Demo", program("exit_with"), "4"}), ExitsWith(4));
  CHECK(space_names(sandbox) == std::vector<std::string>{"Demo", "demo"});
  // Once it runs, its exact name needs no flag.
  CHECK_THAT(sandbox.tproc({"run", "Demo", program("exit_with"), "5"}), ExitsWith(5));
}

TEST_CASE("numbered spaces, short names and unrelated names start without a question") {
  Sandbox sandbox;
  sandbox.detach({"web1", program("sleeper"), "30"});
  sandbox.detach({"ab", program("sleeper"), "30"});
  CHECK_NOTHROW(sandbox.detach({"web2", program("sleeper"), "30"}));
  CHECK_NOTHROW(sandbox.detach({"web10", program("sleeper"), "30"}));
  CHECK_NOTHROW(sandbox.detach({"ac", program("sleeper"), "30"}));
  CHECK_NOTHROW(sandbox.detach({"cache", program("sleeper"), "30"}));
  CHECK(space_names(sandbox) == std::vector<std::string>{"ab", "ac", "cache", "web1", "web10", "web2"});
}

TEST_CASE("starting a space says so on a terminal, and not in a pipe") {
  Sandbox sandbox;
  const Outcome piped = sandbox.tproc({"run", "quiet", program("exit_with"), "0"});
  REQUIRE_THAT(piped, ExitsWith(0));
  CHECK(piped.err.empty());

  // script(1) gives tproc a terminal for stdout and stderr alike.
  const std::string command = tproc_binary() + " run fresh " + program("exit_with") + " 0";
  const Outcome on_terminal = sandbox.run_direct({"/usr/bin/script", "-qec", command, "/dev/null"});
  REQUIRE_THAT(on_terminal, ExitsWith(0));
  CHECK(on_terminal.out.find("tproc: started space 'fresh'") != std::string::npos);
  // A space that runs already is not started again, so nothing is said.
  const Outcome again = sandbox.run_direct({"/usr/bin/script", "-qec", command, "/dev/null"});
  REQUIRE_THAT(again, ExitsWith(0));
  CHECK(again.out.find("started space") == std::string::npos);
}

TEST_CASE("a daemon with no program running exits after its idle time, and one with a program stays") {
  Sandbox sandbox;
  const SpawnOptions idle_second{.extra_env = {"TPROC_IDLE_EXIT=1s"}};
  REQUIRE_THAT(sandbox.tproc({"run", "brief", program("exit_with"), "0"}, idle_second), ExitsWith(0));
  const Outcome busy = sandbox.tproc({"run", "-d", "--name", "nap", "busy", program("sleeper"), "300"}, idle_second);
  REQUIRE_THAT(busy, ExitsWith(0));
  const pid_t brief_daemon = sandbox.daemon_pid("brief");
  const pid_t busy_daemon = sandbox.daemon_pid("busy");

  CHECK(eventually([&] { return !process_alive(brief_daemon); }, std::chrono::seconds(30)));
  CHECK(space_names(sandbox) == std::vector<std::string>{"busy"});  // its socket went with it
  // Long past the idle time, the space whose program runs is still up, and so is the program.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(process_alive(busy_daemon));
  CHECK(sandbox.tproc_info("busy", "nap").state == "running");
  // Once its program is gone, its record does not keep it.
  REQUIRE_THAT(sandbox.tproc({"kill", "busy", "nap"}), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(busy_daemon); }, std::chrono::seconds(30)));
  CHECK(space_names(sandbox).empty());
  // A new run starts the space again.
  CHECK_THAT(sandbox.tproc({"run", "brief", program("exit_with"), "6"}), ExitsWith(6));
}

TEST_CASE("an idle time that is not a duration is refused in one line before the space starts") {
  Sandbox sandbox;
  const Outcome refused = sandbox.tproc({"run", "s", program("exit_with"), "0"}, {.extra_env = {"TPROC_IDLE_EXIT=soon"}});
  CHECK(refused.status != 0);
  CHECK_THAT(refused, IsOneLineError().naming("TPROC_IDLE_EXIT=soon"));
  CHECK(space_names(sandbox).empty());
}
