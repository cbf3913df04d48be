// tproc inspect SPACE ID|NAME (issue 15): one program of a space as JSON, read with a JSON parser:
// how it was started, its state (paused too), its memory and the endpoints it owns.

#include <catch2/catch.hpp>

#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

Json inspect(Sandbox& sandbox, const std::string& space, const std::string& target) {
  const Outcome outcome = sandbox.tproc({"inspect", space, target});
  REQUIRE_THAT(outcome, ExitsWith(0));
  return Json::parse(outcome.out);
}

bool has_string(const Json& array, const std::string& wanted) {
  for (const Json& item : array.items())
    if (item.str() == wanted) return true;
  return false;
}

}  // namespace

TEST_CASE("inspect shows one running program: pid, args, env, cwd, state, memory, its endpoints, labels") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--name", "pub", "-e", "FOO=bar baz", "--label", "team=a", "s",
                                         program("registry_probe"), "publish", "hello", "probe.one"});
  REQUIRE(eventually([&] { return sandbox.tproc({"logs", "s", id}).out.find("published") != std::string::npos; }));

  const Json shown = inspect(sandbox, "s", "pub");
  CHECK(shown.at("id").text() == id);
  CHECK(shown.at("name").str() == "pub");
  CHECK(shown.at("pid").text() == std::to_string(sandbox.tproc_info("s", id).pid));
  CHECK(shown.at("state").str() == "running");
  CHECK(shown.at("exit_status").kind() == Json::Kind::Null);
  const auto& args = shown.at("args").items();
  REQUIRE(args.size() == 4);
  CHECK(args[1].str() == "publish");
  CHECK(args[3].str() == "probe.one");
  CHECK(has_string(shown.at("env"), "FOO=bar baz"));
  CHECK(shown.at("cwd").str() == sandbox.root().native());
  CHECK(shown.at("memory").at("rss_bytes").is_number());
  CHECK(std::stoull(shown.at("memory").at("rss_bytes").text()) > 0);
  REQUIRE(shown.at("endpoints").items().size() == 1);
  CHECK(shown.at("endpoints").items()[0].at("name").str() == "probe.one");
  CHECK(shown.at("bundle").kind() == Json::Kind::Null);
  CHECK(shown.at("labels").at("team").str() == "a");
  CHECK(inspect(sandbox, "s", id).at("name").str() == "pub");  // by id as by name

  REQUIRE_THAT(sandbox.tproc({"pause", "s", id}), ExitsWith(0));
  CHECK(inspect(sandbox, "s", id).at("state").str() == "paused");
  REQUIRE_THAT(sandbox.tproc({"unpause", "s", id}), ExitsWith(0));
  CHECK(inspect(sandbox, "s", id).at("state").str() == "running");
}

TEST_CASE("inspect shows a bundle's program with the args the user gave, and ld.so's command line apart") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "napper", program("sleeper"), "args: [\"5\"]\n");
  const std::string id = sandbox.detach({"s", bundle, "300", "ignore-term"});

  const Json shown = inspect(sandbox, "s", id);
  // args: the argv the program sees, its entrypoint first, then what was typed after the bundle
  // (they replaced the manifest's default args).
  const auto& args = shown.at("args").items();
  REQUIRE(args.size() == 3);
  CHECK(args[0].str().size() >= 8);
  CHECK(args[0].str().substr(args[0].str().size() - 8) == "/sleeper");
  CHECK(args[1].str() == "300");
  CHECK(args[2].str() == "ignore-term");
  // command_line: what the daemon ran, the bundle's own ld.so with its options, the same args last.
  const auto& line = shown.at("command_line").items();
  REQUIRE(line.size() > args.size());
  CHECK(line[0].str().find("ld-linux") != std::string::npos);
  CHECK(has_string(shown.at("command_line"), "--argv0"));
  CHECK(line[line.size() - 2].str() == "300");
  CHECK(line[line.size() - 1].str() == "ignore-term");
  CHECK(shown.at("command").str() == "sleeper 300 ignore-term");
  CHECK(shown.at("bundle").at("name").str() == "napper");
  CHECK_THAT(sandbox.tproc({"kill", "s", id}), ExitsWith(0));
}

TEST_CASE("inspect of a program run directly shows the same args and command line") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", program("sleeper"), "300"});
  const Json shown = inspect(sandbox, "s", id);
  REQUIRE(shown.at("args").items().size() == 2);
  CHECK(shown.at("args").items()[1].str() == "300");
  REQUIRE(shown.at("command_line").items().size() == 2);
  CHECK(shown.at("command_line").items()[0].str() == shown.at("args").items()[0].str());
  CHECK_THAT(sandbox.tproc({"kill", "s", id}), ExitsWith(0));
}

TEST_CASE("inspect shows an exited program with its status, no memory and no endpoints") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", program("exit_with"), "3"});
  REQUIRE(eventually([&] { return sandbox.tproc_info("s", id, true).state == "exited"; }));
  const Json shown = inspect(sandbox, "s", id);
  CHECK(shown.at("state").str() == "exited");
  CHECK(shown.at("exit_status").text() == "3");
  CHECK(shown.at("memory").kind() == Json::Kind::Null);
  CHECK(shown.at("endpoints").items().empty());
}

TEST_CASE("inspect names an unknown tproc or space in one line, and a bundle is still inspected by its path") {
  Sandbox sandbox;
  sandbox.detach({"s", program("sleeper"), "60"});
  CHECK_THAT(sandbox.tproc({"inspect", "s", "nosuch"}), IsOneLineError().naming("nosuch"));
  CHECK_THAT(sandbox.tproc({"inspect", "nowhere", "1"}), IsOneLineError().naming("nowhere"));
  CHECK_THAT(sandbox.tproc({"inspect", "s", "1", "2"}), IsOneLineError().naming("inspect"));
  CHECK_THAT(sandbox.tproc({"inspect", "--format", "table", "s", "1"}), IsOneLineError().naming("JSON only"));
  CHECK_THAT(sandbox.tproc({"inspect", (sandbox.root() / "missing.bundle").native()}),
             IsOneLineError().naming("missing.bundle"));
}
