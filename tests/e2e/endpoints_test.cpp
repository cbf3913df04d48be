// Endpoints a bundle's manifest declares are published by the runtime: declared at start, with the
// address of the symbol they name, ready when the app says so, gone when it ends.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <thread>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

constexpr const char* kDeclaration =
    "endpoints:\n"
    "  - {name: demo.table, symbol: greeting_table, kind: \"char[64]\"}\n";

/// The endpoints of `space` as `registry ls --format json` lists them: name -> (state, address).
std::map<std::string, std::pair<std::string, std::string>> endpoints(Sandbox& sandbox, const std::string& space) {
  Outcome listed = sandbox.tproc({"registry", "ls", "--format", "json", space});
  REQUIRE_THAT(listed, ExitsWith(0));
  std::map<std::string, std::pair<std::string, std::string>> found;
  const Json document = Json::parse(listed.out);
  for (const Json& entry : document.items())
    found[entry.at("name").str()] = {entry.at("state").str(), entry.at("address").str()};
  return found;
}

}  // namespace

TEST_CASE("a declared endpoint is published at the symbol's address, declared, then ready") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "declared", program("declared_service"), kDeclaration);
  const std::string id = sandbox.detach({"s", bundle});
  const auto log = sandbox.home_dir() / "spaces" / "s" / "logs" / (id + ".log");

  REQUIRE(eventually([&] { return endpoints(sandbox, "s").count("demo.table") == 1; }));
  const auto declared = endpoints(sandbox, "s").at("demo.table");
  REQUIRE(eventually([&] { return read_file(log).find("symbol at ") != std::string::npos; }));
  const std::string printed = read_file(log).substr(10, read_file(log).find('\n') - 10);
  CHECK(declared.second == printed);  // the address the program itself sees for its symbol

  // A client started now waits until the app calls tproc_ready(), then reads through the pointer.
  Outcome client = sandbox.tproc({"run", "s", program("declared_client"), "demo.table"});
  REQUIRE_THAT(client, ExitsWith(0));
  CHECK(client.out == "wait 0: " + printed + " declared by the manifest\n");
  CHECK(endpoints(sandbox, "s").at("demo.table").first == "ready");
  CHECK(contains(read_file(log), "ready 1"));

  // It goes with its owner.
  CHECK_THAT(sandbox.tproc({"stop", "-t", "1", "s", id}), ExitsWith(0));
  CHECK(eventually([&] { return endpoints(sandbox, "s").empty(); }));
}

TEST_CASE("an endpoint naming a symbol the executable lacks fails the run before it starts") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "missing", program("declared_service"),
                                       "endpoints:\n  - {name: demo.nothing, symbol: no_such_symbol}\n");
  Outcome run = sandbox.tproc({"run", "s", bundle});
  CHECK(run.status != 0);
  CHECK_THAT(run, IsOneLineError().naming("no_such_symbol").because_of({"symbol"}));
  CHECK(sandbox.ps("s").empty());
  CHECK(endpoints(sandbox, "s").empty());
}

TEST_CASE("an endpoint declared ready at start is ready at once, without an address") {
  Sandbox sandbox;
  const std::string bundle =
      bundle_of(sandbox, "eager", program("sleeper"), "endpoints:\n  - {name: demo.up, ready: auto}\n");
  const std::string id = sandbox.detach({"s", bundle, "30"});
  REQUIRE(eventually([&] { return endpoints(sandbox, "s").count("demo.up") == 1; }));
  CHECK(endpoints(sandbox, "s").at("demo.up") == std::make_pair(std::string("ready"), std::string("0x0")));
  CHECK_THAT(sandbox.tproc({"kill", "s", id}), ExitsWith(0));
  CHECK(eventually([&] { return endpoints(sandbox, "s").empty(); }));
}
