// The front door (bin/tproc, cli/front/) runs the common `tproc run` — an executable into a space
// whose daemon runs — by itself, exactly as the full CLI (libexec/tproc/tproc-cli) would, and
// hands everything else to the full CLI, which explains what it refuses.

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

/// `args` with `door` in front: bin/tproc or the full CLI.
std::vector<std::string> through(const std::string& door, std::vector<std::string> args) {
  args.insert(args.begin(), door);
  return args;
}

}  // namespace

TEST_CASE("a run into a running space needs nothing but the front door") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));  // starts the daemon
  // A copy of the front door with no full CLI beside it.
  const fs::path bin = sandbox.root() / "alone" / "bin";
  fs::create_directories(bin);
  fs::copy_file(tproc_binary(), bin / "tproc");
  const std::string alone = (bin / "tproc").native();

  CHECK_THAT(sandbox.run_direct(through(alone, {"run", "s", program("exit_with"), "3"})), ExitsWith(3));
  CHECK_THAT(sandbox.run_direct(through(alone, {"run", "s", program("crash"), "abort"})), ExitsWith(128 + SIGABRT));
  Outcome env = sandbox.run_direct(
      through(alone, {"run", "-e", "GREETING=hi", "--cwd", "/tmp", "s", program("print_env_cwd"), "GREETING"}));
  REQUIRE_THAT(env, ExitsWith(0));
  CHECK(env.out == "cwd=/tmp\nGREETING=hi\n");
  Outcome echoed = sandbox.run_direct(through(alone, {"run", "s", program("cat_stdin")}), {.input = "through the door\n"});
  REQUIRE_THAT(echoed, ExitsWith(0));
  CHECK(echoed.out == "through the door\n");
  Outcome detached = sandbox.run_direct(through(alone, {"run", "-d", "--name", "quick", "s", program("exit_with"), "0"}));
  REQUIRE_THAT(detached, ExitsWith(0));
  CHECK(sandbox.tproc_info("s", "quick", true).id + "\n" == detached.out);

  // Everything else is the full CLI's, which this copy cannot find.
  const std::vector<std::vector<std::string>> not_quick = {
      {"ps", "s"},
      {"run", "--help"},
      {"run", "s", "/nonexistent"},                     // refused: the full CLI says why
      {"run", "no-daemon", program("exit_with"), "0"},  // the full CLI starts the daemon
      {"run", "--bogus", "s", program("exit_with"), "0"},
  };
  for (const auto& args : not_quick) {
    INFO("tproc " << args.at(0) << " " << args.at(1));
    Outcome handed_on = sandbox.run_direct(through(alone, args));
    CHECK_THAT(handed_on, IsOneLineError().naming("libexec/tproc/tproc-cli").because_of({"no such file"}));
    CHECK(handed_on.status == 125);
  }
}

TEST_CASE("the front door and the full CLI start a program alike") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));
  fs::create_directories(sandbox.root() / "sub");
  const std::vector<std::vector<std::string>> runs = {
      {"run", "-e", "A=1", "-e", "B=2", "-e", "A=3", "s", program("print_env_cwd"), "A"},
      {"run", "--env=A=inline", "-eB=short", "s", program("print_env_cwd"), "A"},
      {"run", "--cwd", "sub", "s", program("print_env_cwd"), "HOME"},
      {"run", "--cwd=/", "s", program("print_env_cwd"), "TPROC_HOME"},
      {"run", "-e", "X=1", "--", "s", program("print_args"), "-d", "--name", "x", "", "two words"},
      {"run", "s", program("exit_with"), "7"},
  };
  for (const auto& args : runs) {
    INFO("tproc " << args.at(1) << " " << args.at(2) << " ...");
    const Outcome quick = sandbox.run_direct(through(tproc_binary(), args));
    const Outcome full = sandbox.run_direct(through(full_cli_binary(), args));
    CHECK(quick.status == full.status);
    CHECK(quick.out == full.out);
    CHECK(quick.err == full.err);
  }
}

TEST_CASE("a program that finds its libraries relative to itself runs from the path it was given") {
  Sandbox sandbox;
  const std::string programs = fs::path(program("needs_bar")).parent_path().native();
  // The first run starts the daemon through the full CLI, the second takes the quick path.
  for (const std::string& door : {full_cli_binary(), tproc_binary()}) {
    INFO(door);
    Outcome run = sandbox.run_direct(through(door, {"run", "s", "./needs_bar", "--flag"}), {.cwd = programs});
    REQUIRE_THAT(run, ExitsWith(0));
    CHECK(run.out == "bar: hello from libtproc_test_foo\n");
  }
  // The same program built -no-pie: ld.so maps it at its fixed addresses, which the daemon holds for it.
  Outcome nonpie = sandbox.tproc({"run", "s", "./nonpie_needs_bar"}, {.cwd = programs});
  REQUIRE_THAT(nonpie, ExitsWith(0));
  CHECK(nonpie.out == "bar: hello from libtproc_test_foo\n");
  const std::string id = sandbox.detach({"--name", "bar", "s", program("needs_bar")});
  const TprocInfo listed = sandbox.tproc_info("s", id, true);
  CHECK(listed.name == "bar");
  CHECK(listed.command == program("needs_bar"));  // as the user ran it, not ld.so's command line
}

TEST_CASE("a run the daemon refuses is explained once, by the full CLI") {
  Sandbox sandbox;
  sandbox.detach({"--name", "dup", "s", program("sleeper"), "30"});
  Outcome refused = sandbox.tproc({"run", "--name", "dup", "s", program("exit_with"), "0"});
  CHECK_THAT(refused, IsOneLineError().naming("dup").because_of({"in use"}));
  CHECK(refused.status == 125);
  CHECK(sandbox.ps("s").size() == 1);
}
