// Specification of ComposeManifest: what a compose file (app.yaml) may say, the defaults it gets,
// and its one-line `FILE:LINE:COL: field.path: reason` errors — dependency cycles and unknown
// services included.

#include "compose/compose_manifest.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using tproc::compose::ComposeManifest;
using tproc::compose::Condition;
using tproc::compose::RestartMode;

constexpr std::string_view kKvApp = R"(name: kv
services:
  server:
    bundle: .
    restart: on-failure:3
    stop_signal: INT
    stop_grace_period: 1m30s
    environment:
      KV_LOG: info
      KV_SHARDS: 16
  alice:
    bundle: client
    command: --name "alice smith" --keys 10
    depends_on:
      server: {condition: ready, timeout: 30s}
  bob:
    bundle: ./client.bundle
    args: [--name, bob]
    working_dir: /srv
    environment: [A=1, B=x=y]
    depends_on: [server, alice]
    restart: unless-stopped
    replicas: 3
)";

ComposeManifest parse_ok(std::string_view text, std::string_view default_name = "dir") {
  auto parsed = ComposeManifest::parse(text, "app.yaml", default_name);
  if (!parsed) FAIL(parsed.error().describe());
  return std::move(*parsed);
}

std::string parse_error(std::string_view text, std::string_view default_name = "dir") {
  auto parsed = ComposeManifest::parse(text, "app.yaml", default_name);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code() == EINVAL);
  return parsed.error().describe();
}

}  // namespace

TEST_CASE("a compose file gives every service its bundle, arguments, environment, dependencies and policies") {
  const ComposeManifest app = parse_ok(kKvApp);
  CHECK(app.name() == "kv");
  CHECK(app.space() == "kv");
  REQUIRE(app.services().size() == 3);

  const auto& server = app.services()[0];
  CHECK(server.name == "server");
  CHECK(server.bundle == ".");
  CHECK_FALSE(server.args.has_value());
  CHECK(server.restart.mode == RestartMode::on_failure);
  CHECK(server.restart.max_retries == 3u);
  CHECK(server.stop_signal == SIGINT);
  CHECK(server.stop_grace_period == 90s);
  CHECK(server.environment == std::vector<std::pair<std::string, std::string>>{{"KV_LOG", "info"}, {"KV_SHARDS", "16"}});
  CHECK(server.where.line == 3);
  CHECK(server.where.column == 3);

  const auto& alice = app.services()[1];
  CHECK(alice.args == std::vector<std::string>{"--name", "alice smith", "--keys", "10"});
  REQUIRE(alice.depends_on.size() == 1);
  CHECK(alice.depends_on[0].service == "server");
  CHECK(alice.depends_on[0].condition == Condition::ready);
  CHECK(alice.depends_on[0].timeout == 30s);
  CHECK(alice.depends_on[0].path == "services.alice.depends_on.server");

  const auto& bob = app.services()[2];
  CHECK(bob.args == std::vector<std::string>{"--name", "bob"});
  CHECK(bob.working_dir == "/srv");
  CHECK(bob.environment == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "x=y"}});
  REQUIRE(bob.depends_on.size() == 2);
  CHECK(bob.depends_on[0].condition == Condition::started);
  CHECK_FALSE(bob.depends_on[0].timeout.has_value());
  CHECK(bob.restart.mode == RestartMode::unless_stopped);
  CHECK(bob.replicas == 3u);
}

TEST_CASE("defaults: the app is named after its directory, its space after the app, services stop with SIGTERM after 10 s") {
  const ComposeManifest app = parse_ok("services:\n  web:\n    bundle: web.bundle\n", "shop");
  CHECK(app.name() == "shop");
  CHECK(app.space() == "shop");
  const auto& web = app.services()[0];
  CHECK(web.restart.mode == RestartMode::no);
  CHECK(web.stop_signal == SIGTERM);
  CHECK(web.stop_grace_period == 10s);
  CHECK(web.replicas == 1u);
  CHECK(parse_ok("space: other\nservices: {web: {bundle: b}}\n", "shop").space() == "other");
  CHECK(parse_ok("services: {web: {bundle: b, restart: \"no\"}}\n").services()[0].restart.mode == RestartMode::no);
  CHECK(parse_ok("services: {web: {bundle: b, restart: always}}\n").services()[0].restart.mode == RestartMode::always);
  CHECK_FALSE(parse_ok("services: {web: {bundle: b, restart: on-failure}}\n").services()[0].restart.max_retries.has_value());
}

TEST_CASE("a dependency cycle is an error at the dependency that closes it, naming the whole cycle") {
  CHECK_THAT(parse_error("services:\n"
                         "  a:\n"
                         "    bundle: a\n"
                         "    depends_on: [b]\n"
                         "  b:\n"
                         "    bundle: b\n"
                         "    depends_on: [c]\n"
                         "  c:\n"
                         "    bundle: c\n"
                         "    depends_on:\n"
                         "      a: {condition: ready}\n"),
             Equals("app.yaml:11:7: services.c.depends_on.a: dependency cycle: a -> b -> c -> a"));
  CHECK_THAT(parse_error("services:\n  solo:\n    bundle: s\n    depends_on: [solo]\n"),
             Equals("app.yaml:4:18: services.solo.depends_on.solo: dependency cycle: solo -> solo"));
}

TEST_CASE("an unknown service in depends_on is named, with the nearest one suggested") {
  CHECK_THAT(parse_error("services:\n  server: {bundle: s}\n  client:\n    bundle: c\n    depends_on: [serve]\n"),
             Equals("app.yaml:5:18: services.client.depends_on.serve: unknown service 'serve' (did you mean 'server'?)"));
  CHECK_THAT(parse_error("services:\n  server: {bundle: s}\n  client:\n    bundle: c\n    depends_on:\n      database: {condition: started}\n"),
             Equals("app.yaml:6:7: services.client.depends_on.database: unknown service 'database' (services: 'server' or 'client')"));
}

TEST_CASE("errors carry FILE:LINE:COL and the field path, with hints for typos") {
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    restrat: always\n"),
             Equals("app.yaml:4:5: services.web.restrat: unknown key (did you mean 'restart'?)"));
  CHECK_THAT(parse_error("servics: {}\n"), Equals("app.yaml:1:1: servics: unknown key (did you mean 'services'?)"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    depends_on:\n      web2: {condition: healthy}\n  web2: {bundle: c}\n"),
             Contains("app.yaml:5:25: services.web.depends_on.web2.condition: expected 'started', 'ready' or 'completed_successfully', got \"healthy\""));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    restart: on-failur\n"),
             Equals("app.yaml:4:14: services.web.restart: expected 'no', 'always', 'on-failure[:max]' or 'unless-stopped', got \"on-failur\" (did you mean 'on-failure'?)"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    restart: always:3\n"),
             Contains("services.web.restart: only 'on-failure' takes a maximum"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    stop_grace_period: soon\n"),
             Equals("app.yaml:4:24: services.web.stop_grace_period: expected a duration such as 10s, 500ms or 1m30s, got \"soon\""));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    stop_signal: KILL\n"),
             Contains("services.web.stop_signal: a stop signal must be one a program can handle"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    stop_signal: BOGUS\n"), Contains("services.web.stop_signal: unknown signal \"BOGUS\""));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    replicas: 0\n"),
             Contains("app.yaml:4:15: services.web.replicas: expected a number of replicas from 1 to 64"));
  CHECK_THAT(parse_error("services:\n  web:\n    args: [a]\n"), Equals("app.yaml:2:3: services.web.bundle: missing required field"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    command: x\n    args: [y]\n"),
             Equals("app.yaml:5:5: services.web.args: give either 'command' or 'args', not both"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    environment: [NOEQUALS]\n"),
             Contains("services.web.environment[0]: expected KEY=VALUE"));
  CHECK_THAT(parse_error("services:\n  bad name: {bundle: b}\n"), Contains("app.yaml:2:3: services.bad name: invalid service name"));
  CHECK_THAT(parse_error("services: {}\n"), Contains("services: an app needs at least one service"));
  CHECK_THAT(parse_error("name: web\n"), Equals("app.yaml:1:1: services: missing required field"));
  CHECK_THAT(parse_error("services: {web: {bundle: b}}\n", "My Dir"), Contains("name: the app needs a name"));
  CHECK_THAT(parse_error("services:\n  web: {bundle: b}\n  web: {bundle: c}\n"),
             Equals("app.yaml:3:3: services.web: duplicate key (first given on line 2)"));
  CHECK_THAT(parse_error("services: [\n"), StartsWith("app.yaml:"));
  CHECK_THAT(parse_error(""), Equals("app.yaml:1:1: empty compose file (expected a map with services)"));
}

TEST_CASE("a compose file is UTF-8 text, one document, nested within bounds: as strict as a bundle manifest") {
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: caf\xff\n"),
             Equals("app.yaml:3:16: invalid UTF-8 (a manifest is UTF-8 text)"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: \"\\N\"\n"),
             Equals("app.yaml:3:13: services.web.bundle: its escapes decode to invalid UTF-8"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    command: \"run \\N\"\n"),
             Equals("app.yaml:4:14: services.web.command: its escapes decode to invalid UTF-8"));
  CHECK_THAT(parse_error("services:\n  \"\\N\": {bundle: b}\n"),
             Equals("app.yaml:2:3: services: a key whose escapes decode to invalid UTF-8"));
  // Load() used to keep the first document and drop the rest without a word.
  CHECK_THAT(parse_error("services: {web: {bundle: b}}\n---\nservices: {db: {bundle: d}}\n"),
             Equals("app.yaml:2:1: expected one YAML document, found 2"));
  CHECK_THAT(parse_error("\"\","), Contains("expected one YAML document"));
  CHECK_THAT(parse_error(std::string(100000, '[')), Contains("bad YAML: nested too deeply"));
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    args: " + std::string(5000, '[') + std::string(5000, ']') + "\n"),
             Contains("bad YAML: nested too deeply"));
}

TEST_CASE("a long key is named whole in an error path, not cut at 64 characters") {
  const std::string key(100, 'k');
  CHECK_THAT(parse_error("services:\n  web:\n    bundle: b\n    " + key + ": 1\n"),
             StartsWith("app.yaml:4:5: services.web." + key + ": unknown key"));
}

TEST_CASE("durations and signals read as users write them") {
  using tproc::compose::parse_duration;
  using tproc::compose::parse_signal_name;
  CHECK(*parse_duration("10s") == 10s);
  CHECK(*parse_duration("500ms") == 500ms);
  CHECK(*parse_duration("1m30s") == 90s);
  CHECK(*parse_duration("2h") == 7200s);
  CHECK(*parse_duration("1.5") == 1500ms);
  CHECK(*parse_duration("0") == 0ms);
  CHECK_FALSE(parse_duration("10 s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("s"));
  CHECK(*parse_signal_name("TERM") == SIGTERM);
  CHECK(*parse_signal_name("SIGUSR1") == SIGUSR1);
  CHECK(*parse_signal_name("int") == SIGINT);
  CHECK(*parse_signal_name("9") == SIGKILL);
  CHECK_FALSE(parse_signal_name("99"));
  CHECK(tproc::compose::signal_name(SIGTERM) == "TERM");
}

TEST_CASE("a docker compose file's obsolete version: is accepted and ignored, as docker compose does") {
  CHECK(parse_ok("version: \"3.8\"\nservices: {web: {bundle: b}}\n").services().size() == 1);
  CHECK(parse_ok("version: 2\nservices: {web: {bundle: b}}\n").services()[0].name == "web");
  CHECK_THAT(parse_error("version: [3]\nservices: {web: {bundle: b}}\n"), Catch::Contains("app.yaml:1:10: version"));
}
