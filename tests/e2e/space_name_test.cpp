// Space names at their boundary (issue 14, item 16): the longest name the rule allows works end
// to end, one byte more is refused by every door with the rule in one line, and nothing is left
// behind for it (no state dir, no socket, no lock).

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

TEST_CASE("a 63-byte space name runs, lists and is removed like any other") {
  Sandbox sandbox;
  const std::string name(63, 'n');
  CHECK_THAT(sandbox.tproc({"run", name, program("exit_with"), "7"}), ExitsWith(7));
  CHECK_THAT(sandbox.run_direct({full_cli_binary(), "run", name, program("exit_with"), "8"}), ExitsWith(8));
  const std::string id = sandbox.detach({name, program("sleeper"), "30"});
  CHECK(sandbox.tproc_info(name, id).state == "running");
  CHECK(sandbox.tproc({"space", "rm", "-f", name}).status == 0);
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "spaces" / name));
}

TEST_CASE("a 64-byte space name is refused at every door and leaves nothing behind") {
  Sandbox sandbox;
  const std::string name(64, 'n');
  const auto refused = [&](const Outcome& outcome) {
    CHECK_THAT(outcome, IsOneLineError().naming(name).because_of({"1-63"}));
  };
  refused(sandbox.tproc({"run", name, program("exit_with"), "0"}));
  refused(sandbox.run_direct({full_cli_binary(), "run", name, program("exit_with"), "0"}));
  refused(sandbox.tproc({"run", "-d", name, program("exit_with"), "0"}));
  refused(sandbox.tproc({"ps", name}));
  refused(sandbox.tproc({"space", "rm", name}));
  refused(sandbox.run_direct({full_cli_binary(), "daemon", name}));
  const std::string app = sandbox.write_file("app.yaml", "name: " + name + "\nservices:\n  a:\n    bundle: x.bundle\n", 0644);
  const Outcome up = sandbox.tproc({"up", "-f", app});
  CHECK_THAT(up, IsOneLineError().naming("app.yaml:1:7: name").because_of({"1-63"}));  // the name quoted, cut
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "spaces"));
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "compose"));
  CHECK(fs::is_empty(sandbox.runtime_dir()));
}
