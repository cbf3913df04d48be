// The leak-check sample (samples/leakcheck): a tproc stops the world of its space, scans every
// other tproc's registers and stacks and the space heap's live blocks, and names the blocks nothing
// points to, with the tproc that allocated each (issue 15).

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

/// What one leaky tproc printed: its three blocks' addresses, by role.
struct Leaky {
  std::string id;
  pid_t pid = 0;
  std::map<std::string, std::string> blocks;  // "leaked", "from-stack", "from-block" -> "0x..."
};

Leaky start_leaky(Sandbox& sandbox, const std::string& space) {
  Leaky leaky;
  leaky.id = sandbox.detach({space, sample("leakcheck", "leaky")});
  std::string logs;
  REQUIRE(eventually([&] {
    logs = sandbox.tproc({"logs", space, leaky.id}).out;
    return logs.find("ready\n") != std::string::npos;
  }));
  std::istringstream lines(logs);
  for (std::string role, address; lines >> role && role != "ready";) {
    lines >> address;
    leaky.blocks[role] = address;
  }
  REQUIRE(leaky.blocks.size() == 3);
  leaky.pid = sandbox.tproc_info(space, leaky.id).pid;
  return leaky;
}

/// The "leak: ..." lines of a leakcheck run.
std::vector<std::string> leak_lines(const std::string& out) {
  std::vector<std::string> leaks;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("leak: ", 0) == 0) leaks.push_back(line);
  return leaks;
}

}  // namespace

TEST_CASE("the leak check names only the block each tproc leaked, not those it reaches from its stack or through a block") {
  Sandbox sandbox;
  const Leaky first = start_leaky(sandbox, "w");
  const Leaky second = start_leaky(sandbox, "w");
  const std::string sleeper = sandbox.detach({"w", program("sleeper"), "60"});  // a tproc without blocks

  Outcome check = sandbox.tproc({"run", "w", sample("leakcheck", "leakcheck")});
  INFO(check.out << check.err);
  CHECK(check.status == 1);  // something leaked
  const std::vector<std::string> lines = leak_lines(check.out);
  const std::set<std::string> leaks(lines.begin(), lines.end());
  CHECK(leaks == std::set<std::string>{
                     "leak: " + first.blocks.at("leaked") + " 48 bytes, allocated by pid " +
                         std::to_string(first.pid) + " (leaky)",
                     "leak: " + second.blocks.at("leaked") + " 48 bytes, allocated by pid " +
                         std::to_string(second.pid) + " (leaky)",
                 });
  CHECK(check.out.find("3 threads of 3 tprocs stopped; 6 live blocks (384 bytes); 2 leaked (96 bytes)\n") !=
        std::string::npos);
  // The world runs on.
  for (const std::string& id : {first.id, second.id, sleeper}) CHECK(sandbox.tproc_info("w", id).state == "running");

  // Stopped, the first leaky's stack is gone: all three of its blocks outlive it, reached by
  // nothing, and are still named with its pid.
  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "w", first.id}), ExitsWith(0));
  check = sandbox.tproc({"run", "w", sample("leakcheck", "leakcheck")});
  INFO(check.out << check.err);
  CHECK(check.status == 1);
  const std::vector<std::string> after = leak_lines(check.out);
  CHECK(after.size() == 4);
  for (const auto& [role, address] : first.blocks) {
    INFO(role);
    CHECK(check.out.find("leak: " + address + " ") != std::string::npos);
  }
  CHECK(check.out.find("leak: " + second.blocks.at("leaked") + " ") != std::string::npos);
  CHECK(check.out.find(second.blocks.at("from-stack")) == std::string::npos);
  CHECK(check.out.find(second.blocks.at("from-block")) == std::string::npos);
}

TEST_CASE("the leak check of a space whose heap holds nothing exits 0") {
  Sandbox sandbox;
  sandbox.detach({"w", program("sleeper"), "60"});
  Outcome check = sandbox.tproc({"run", "w", sample("leakcheck", "leakcheck")});
  REQUIRE_THAT(check, ExitsWith(0));
  CHECK(check.out == "leakcheck: 1 threads of 1 tprocs stopped; 0 live blocks (0 bytes); 0 leaked (0 bytes)\n");
}

TEST_CASE("the leak check outside a space says so in one line and exits 2") {
  Sandbox sandbox;
  Outcome outcome = sandbox.run_direct({sample("leakcheck", "leakcheck")});
  CHECK(outcome.status == 2);
  CHECK(outcome.err == "leakcheck: not in a tproc space (run it with `tproc run SPACE " +
                           sample("leakcheck", "leakcheck") + "`)\n");
}
