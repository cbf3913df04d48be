// Compose: `tproc up`, `ps`, `logs`, `down` on apps of several services, driven through the real
// binary — start order, `ready` waiting on the registry, manifest errors, restarts with their
// count, stop order with grace and kill, re-`up` replacing only what changed, and the samples.
// Every test's app is brought down at its end (AppDown), and the Sandbox kills whatever is left,
// supervisors included (they carry the sandbox's TPROC_RUNTIME_DIR).

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "registry_support.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Where `part` is in `text`; fails the test when it is not there.
size_t position_of(const std::string& text, const std::string& part) {
  const size_t at = text.find(part);
  INFO("looking for: " << part << "\nin:\n" << text);
  REQUIRE(at != std::string::npos);
  return at;
}

/// Brings the app of `space` down when the test ends, however it ends.
struct AppDown {
  Sandbox& sandbox;
  std::string space;
  ~AppDown() {
    try {
      sandbox.tproc({"down", space}, {}, 30s);
    } catch (...) {
    }
  }
};

/// One service as `tproc ps SPACE --format json` shows it (its latest tproc).
struct ServiceRow {
  std::string state;
  long restarts = 0;
  std::optional<long> last_exit;
  std::string id;  ///< empty when it has no tproc
  std::string tproc_state;
  std::string reason;
};

std::map<std::string, ServiceRow> services(Sandbox& sandbox, const std::string& space) {
  Outcome listed = sandbox.tproc({"ps", space, "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  std::map<std::string, ServiceRow> rows;
  const Json document = Json::parse(listed.out);
  for (const Json& row : document.items()) {
    const Json* service = row.find("service");
    if (!service || service->kind() == Json::Kind::Null) continue;  // a tproc of no service
    ServiceRow& out = rows[service->str()];
    out.state = row.at("service_state").str();
    out.restarts = static_cast<long>(row.at("restarts").number());
    if (row.at("last_exit").kind() != Json::Kind::Null) out.last_exit = static_cast<long>(row.at("last_exit").number());
    if (row.at("id").kind() != Json::Kind::Null) out.id = row.at("id").text();
    out.tproc_state = row.at("state").str();
    out.reason = row.at("reason").str();
  }
  return rows;
}

/// A bundle of a test program, built once per test under root()/NAME.bundle.
std::string program_bundle(Sandbox& sandbox, const std::string& name, const std::string& executable, std::string_view more = "") {
  return bundle_of(sandbox, name, program(executable), more);
}

}  // namespace

TEST_CASE("up starts services in dependency order, ps shows them, down stops them in reverse with grace then kill") {
  Sandbox sandbox;
  program_bundle(sandbox, "sleeper", "sleeper");
  sandbox.write_file("app/app.yaml",
                     "services:\n"
                     "  top:\n"
                     "    bundle: ../sleeper.bundle\n"
                     "    args: [\"60\", ignore-term]\n"
                     "    stop_grace_period: 300ms\n"
                     "    depends_on: [middle, side]\n"
                     "  middle:\n"
                     "    bundle: ../sleeper.bundle\n"
                     "    args: [\"60\"]\n"
                     "    depends_on: [base]\n"
                     "  base:\n"
                     "    bundle: ../sleeper.bundle\n"
                     "    args: [\"60\"]\n"
                     "    stop_signal: INT\n"
                     "  side:\n"
                     "    bundle: ../sleeper.bundle\n"
                     "    args: [\"60\"]\n"
                     "    replicas: 2\n");
  AppDown down_at_end{sandbox, "app"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", "app/app.yaml"});
  REQUIRE_THAT(up, ExitsWith(0));
  // The space is named after the compose file's directory; dependencies start first.
  CHECK(position_of(up.err, "base: started") < position_of(up.err, "middle: started"));
  CHECK(position_of(up.err, "middle: started") < position_of(up.err, "top: started"));
  CHECK(position_of(up.err, "side.1: started") < position_of(up.err, "top: started"));
  CHECK(position_of(up.err, "side.2: started") < position_of(up.err, "top: started"));

  auto rows = services(sandbox, "app");
  REQUIRE(rows.size() == 4);
  for (const auto& [name, row] : rows) {
    INFO(name);
    CHECK(row.state == "running");
    CHECK(row.tproc_state == "running");
    CHECK(row.restarts == 0);
  }
  CHECK(sandbox.tproc_info("app", "top").state == "running");
  CHECK(sandbox.tproc_info("app", "side.1").state == "running");
  CHECK(sandbox.tproc_info("app", "side.2").state == "running");
  Outcome logs = sandbox.tproc({"logs", "app", "middle"});
  CHECK_THAT(logs, ExitsWith(0));
  CHECK(logs.out == "sleeping\n");

  Outcome down = sandbox.tproc({"down", "app"});
  REQUIRE_THAT(down, ExitsWith(0));
  // top ignores SIGTERM: killed after its grace; only then do its dependencies stop.
  const std::string& said = down.err;
  CHECK(contains(said, "top: stopping (SIGTERM, SIGKILL after 300ms)"));
  CHECK(position_of(said, "top: still running after 300ms: SIGKILL") < position_of(said, "top: stopped (killed by SIGKILL)"));
  CHECK(position_of(said, "top: stopped") < position_of(said, "middle: stopping"));
  CHECK(position_of(said, "top: stopped") < position_of(said, "side.1: stopping"));
  CHECK(position_of(said, "top: stopped") < position_of(said, "side.2: stopping"));
  CHECK(position_of(said, "middle: stopped") < position_of(said, "base: stopping (SIGINT"));
  CHECK(contains(said, "base: stopped (killed by SIGINT)"));
  CHECK(sandbox.ps("app").empty());
  CHECK_THAT(sandbox.tproc({"down", "app"}), ExitsWith(1));  // nothing left to stop
}

TEST_CASE("ready waits for the dependency's declared endpoints in the registry, a dependency that never gets ready blocks its dependents") {
  Sandbox sandbox;
  program_bundle(sandbox, "service", "declared_service",
                 "endpoints:\n  - {name: demo.table, symbol: greeting_table, kind: \"char[64]\"}\n");
  program_bundle(sandbox, "probe", "registry_probe");
  program_bundle(sandbox, "lazy", "sleeper", "endpoints:\n  - {name: never.ready}\n");
  sandbox.write_file("app.yaml",
                     "name: ready\n"
                     "services:\n"
                     "  table:\n"
                     "    bundle: service.bundle\n"
                     "  reader:\n"
                     "    bundle: probe.bundle\n"
                     "    args: [lookup, demo.table]\n"  // no waiting of its own: fails unless ready
                     "    depends_on:\n"
                     "      table: {condition: ready}\n"
                     "  lazy:\n"
                     "    bundle: lazy.bundle\n"
                     "    args: [\"60\"]\n"
                     "  hopeful:\n"
                     "    bundle: probe.bundle\n"
                     "    args: [lookup, never.ready]\n"
                     "    depends_on:\n"
                     "      lazy: {condition: ready, timeout: 500ms}\n"
                     "  after:\n"
                     "    bundle: probe.bundle\n"
                     "    args: [lookup, demo.table]\n"
                     "    depends_on: [hopeful]\n");
  AppDown down_at_end{sandbox, "ready"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", "app.yaml"});
  CHECK_THAT(up, ExitsWith(1));  // two services could not start
  CHECK(position_of(up.err, "table: ready (demo.table)") < position_of(up.err, "reader: started"));
  CHECK(contains(up.err, "hopeful: not started: lazy did not become ready within 500ms"));
  CHECK(contains(up.err, "after: not started: its dependency hopeful was not started"));

  REQUIRE(eventually([&] { return services(sandbox, "ready")["reader"].state == "completed"; }));
  Outcome logs = sandbox.tproc({"logs", "ready", "reader"});
  CHECK(contains(logs.out, "found demo.table"));
  CHECK(contains(logs.out, "state ready"));
  auto rows = services(sandbox, "ready");
  CHECK(rows["table"].state == "ready");
  CHECK(rows["lazy"].state == "starting");
  CHECK(rows["hopeful"].state == "blocked");
  CHECK(rows["hopeful"].id.empty());
  CHECK(rows["hopeful"].reason == "lazy did not become ready within 500ms");
  CHECK(rows["after"].state == "blocked");
  const auto endpoint = find_endpoint(registry_ls(sandbox, "ready"), "demo.table");
  REQUIRE(endpoint);
  CHECK(endpoint->state == "ready");
  Outcome table = sandbox.tproc({"ps", "ready"});
  CHECK(contains(table.out, "blocked (lazy did not become ready within 500ms)"));
}

TEST_CASE("a dependency cycle, an unknown service and a bad field are one-line errors with file:line:col, nothing starts") {
  Sandbox sandbox;
  sandbox.write_file("cycle.yaml",
                     "name: broken\n"
                     "services:\n"
                     "  a: {bundle: x.bundle, depends_on: [b]}\n"
                     "  b: {bundle: x.bundle, depends_on: [a]}\n");
  Outcome cycle = sandbox.tproc({"up", "-d", "-f", "cycle.yaml"});
  CHECK_THAT(cycle, IsOneLineError());
  CHECK(cycle.status != 0);
  CHECK(cycle.err == "tproc: cycle.yaml:4:38: services.b.depends_on.a: dependency cycle: a -> b -> a\n");

  sandbox.write_file("unknown.yaml",
                     "name: broken\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: x.bundle\n"
                     "    depends_on:\n"
                     "      databse: {condition: ready}\n"
                     "  database: {bundle: x.bundle}\n");
  Outcome unknown = sandbox.tproc({"up", "-d", "-f", "unknown.yaml"});
  CHECK(unknown.status != 0);
  CHECK(unknown.err ==
        "tproc: unknown.yaml:6:7: services.web.depends_on.databse: unknown service 'databse' (did you mean 'database'?)\n");

  sandbox.write_file("typo.yaml", "services:\n  web:\n    bundle: x.bundle\n    replicas: many\n");
  Outcome typo = sandbox.tproc({"up", "-f", "typo.yaml"});
  CHECK(typo.status != 0);
  CHECK(contains(typo.err, "typo.yaml:4:15: services.web.replicas: expected a number of replicas from 1 to 64, got \"many\""));

  sandbox.write_file("missing.yaml", "services:\n  web:\n    bundle: nowhere.bundle\n");
  Outcome missing = sandbox.tproc({"up", "-d", "-f", "missing.yaml"});
  CHECK(missing.status != 0);
  CHECK(contains(missing.err, "missing.yaml:2:3: services.web.bundle: nowhere.bundle: No such file or directory"));
  CHECK(sandbox.spaces().empty());
}

TEST_CASE("restart on-failure restarts with backoff up to its maximum, ps shows the count and the last exit, completed_successfully waits for it") {
  Sandbox sandbox;
  program_bundle(sandbox, "failing", "exit_with");
  sandbox.write_file("app.yaml",
                     "name: flaky\n"
                     "services:\n"
                     "  flaky:\n"
                     "    bundle: failing.bundle\n"
                     "    args: [\"3\", out]\n"
                     "    restart: on-failure:2\n"
                     "  fine:\n"
                     "    bundle: failing.bundle\n"
                     "    args: [\"0\"]\n"
                     "    restart: on-failure\n"
                     "  after_fine:\n"
                     "    bundle: failing.bundle\n"
                     "    args: [\"0\", next]\n"
                     "    depends_on:\n"
                     "      fine: {condition: completed_successfully}\n"
                     "  after_flaky:\n"
                     "    bundle: failing.bundle\n"
                     "    args: [\"0\"]\n"
                     "    depends_on:\n"
                     "      flaky: {condition: completed_successfully}\n");
  AppDown down_at_end{sandbox, "flaky"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", "app.yaml"});
  CHECK_THAT(up, ExitsWith(1));  // after_flaky could not start
  CHECK(position_of(up.err, "fine: exited with status 0") < position_of(up.err, "after_fine: started"));
  CHECK(position_of(up.err, "flaky: exited with status 3; restarting in 100ms") <
        position_of(up.err, "flaky: exited with status 3; restarting in 200ms"));
  CHECK(contains(up.err, "after_flaky: not started: flaky did not complete successfully: exited with status 3"));
  REQUIRE(eventually([&] { return services(sandbox, "flaky")["flaky"].state == "failed"; }));
  auto rows = services(sandbox, "flaky");
  CHECK(rows["flaky"].restarts == 2);
  CHECK(rows["flaky"].last_exit == 3);
  CHECK(rows["flaky"].tproc_state == "exited");
  CHECK(rows["fine"].state == "completed");
  CHECK(rows["fine"].restarts == 0);
  CHECK(rows["fine"].last_exit == 0);
  CHECK(rows["after_flaky"].state == "blocked");
  REQUIRE(eventually([&] { return services(sandbox, "flaky")["after_fine"].state == "completed"; }));
  CHECK(sandbox.tproc({"logs", "flaky", "flaky"}).out == "out\n");  // the latest run's log
  Outcome table = sandbox.tproc({"ps", "flaky"});
  CHECK(contains(table.out, "RESTARTS"));
  CHECK(contains(table.out, "LAST EXIT"));
  // A failed service does not make stopping the app fail, as with docker compose down.
  CHECK_THAT(sandbox.tproc({"down", "flaky"}, {}, 30s), ExitsWith(0));
  CHECK(sandbox.ps("flaky").empty());
}

TEST_CASE("ps SPACE --format json of an app: every row has the same keys, null where one does not apply") {
  Sandbox sandbox;
  program_bundle(sandbox, "exiting", "exit_with");
  program_bundle(sandbox, "sleeper", "sleeper");
  sandbox.write_file("app.yaml",
                     "name: rows\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: sleeper.bundle\n"
                     "    args: [\"60\"]\n"
                     "  done:\n"
                     "    bundle: exiting.bundle\n"
                     "    args: [\"3\"]\n"
                     "  after:\n"
                     "    bundle: exiting.bundle\n"
                     "    args: [\"0\"]\n"
                     "    depends_on:\n"
                     "      done: {condition: completed_successfully}\n");
  AppDown down_at_end{sandbox, "rows"};
  CHECK_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}), ExitsWith(1));  // `after` cannot start
  const std::string extra = sandbox.detach({"rows", program("sleeper"), "60"});
  REQUIRE(eventually([&] { return services(sandbox, "rows")["done"].tproc_state == "exited"; }));

  Outcome listed = sandbox.tproc({"ps", "rows", "-a", "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  const Json document = Json::parse(listed.out);
  auto keys = [](const Json& row) {
    std::vector<std::string> names;
    for (const auto& [key, value] : row.members()) names.push_back(key);
    return names;
  };
  std::map<std::string, const Json*> by_name;
  for (const Json& row : document.items()) {
    INFO(row.source());
    CHECK(keys(row) == keys(document.items().front()));
    by_name[row.at("name").str()] = &row;
  }
  REQUIRE(by_name.size() == 4);
  const Json& web = *by_name.at("web");
  CHECK(web.at("state").str() == "running");
  CHECK(web.at("exit_status").kind() == Json::Kind::Null);
  CHECK(web.at("pid").is_number());
  CHECK(web.at("bundle").at("name").str() == "sleeper");
  const Json& done = *by_name.at("done");
  CHECK(done.at("state").str() == "exited");
  CHECK(done.at("exit_status").number() == 3);
  const Json& after = *by_name.at("after");
  CHECK(after.at("state").str() == "none");
  CHECK(after.at("id").kind() == Json::Kind::Null);
  CHECK(after.at("exit_status").kind() == Json::Kind::Null);
  CHECK(after.at("service_state").str() == "blocked");
  const Json& other = *by_name.at("sleeper");
  CHECK(other.at("id").text() == extra);
  CHECK(other.at("service").kind() == Json::Kind::Null);
  CHECK(other.at("restarts").kind() == Json::Kind::Null);
  CHECK(other.at("exit_status").kind() == Json::Kind::Null);
  CHECK(other.at("bundle").kind() == Json::Kind::Null);
}

TEST_CASE("a supervisor never loses a status: 2x40 replicas that end together all complete, and their dependent starts") {
  Sandbox sandbox;
  program_bundle(sandbox, "quick", "exit_with");
  sandbox.write_file("app.yaml",
                     "name: many\n"
                     "services:\n"
                     "  left:\n"
                     "    bundle: quick.bundle\n"
                     "    args: [\"0\", left]\n"
                     "    replicas: 40\n"
                     "  right:\n"
                     "    bundle: quick.bundle\n"
                     "    args: [\"0\", right]\n"
                     "    replicas: 40\n"
                     "  last:\n"
                     "    bundle: quick.bundle\n"
                     "    args: [\"0\", done]\n"
                     "    depends_on:\n"
                     "      left: {condition: completed_successfully}\n"
                     "      right: {condition: completed_successfully}\n");
  AppDown down_at_end{sandbox, "many"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", "app.yaml"}, {}, 120s);
  CHECK_THAT(up, ExitsWith(0));
  REQUIRE(eventually([&] { return services(sandbox, "many")["last"].state == "completed"; }, 60s));
  auto rows = services(sandbox, "many");
  for (const char* service : {"left", "right", "last"}) {
    INFO(service);
    CHECK(rows[service].state == "completed");
    CHECK(rows[service].last_exit == 0);
  }
  CHECK(sandbox.tproc({"logs", "many", "last"}).out == "done\n");
  const std::string log = read_file(sandbox.home_dir() / "compose" / "many" / "supervisor.log");
  CHECK_FALSE(contains(log, "exit status unknown"));
}

TEST_CASE("a crash-looping service keeps the logs of its last two runs, not one per restart") {
  Sandbox sandbox;
  program_bundle(sandbox, "failing", "exit_with");
  sandbox.write_file("app.yaml",
                     "name: looping\n"
                     "services:\n"
                     "  looper:\n"
                     "    bundle: failing.bundle\n"
                     "    args: [\"1\", again]\n"
                     "    restart: on-failure:5\n");
  AppDown down_at_end{sandbox, "looping"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", "app.yaml"});
  REQUIRE(eventually([&] { return services(sandbox, "looping")["looper"].state == "failed"; }, 30s));
  auto rows = services(sandbox, "looping");
  CHECK(rows["looper"].restarts == 5);
  CHECK(rows["looper"].last_exit == 1);
  CHECK(sandbox.tproc({"logs", "looping", "looper"}).out == "again\n");  // the latest run's log
  size_t logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(sandbox.home_dir() / "spaces" / "looping" / "logs"))
    logs += entry.path().extension() == ".log";
  CHECK(logs <= 2);
  CHECK(sandbox.ps("looping", true).size() <= 2);
}

TEST_CASE("a service gets its environment and working directory, and command words replace the bundle's args") {
  Sandbox sandbox;
  program_bundle(sandbox, "printer", "print_env_cwd", "args: [HOME]\n");
  program_bundle(sandbox, "args", "print_args");
  sandbox.write_file("data/.keep", "");
  sandbox.write_file("app.yaml",
                     "name: settings\n"
                     "services:\n"
                     "  relative:\n"
                     "    bundle: printer.bundle\n"
                     "    args: [GREETING]\n"
                     "    working_dir: data\n"
                     "    environment: {GREETING: \"hello there\"}\n"
                     "  default_dir:\n"
                     "    bundle: printer.bundle\n"
                     "    environment: [HOME=/nowhere]\n"
                     "  words:\n"
                     "    bundle: args.bundle\n"
                     "    command: one \"two three\" 'four'\n");
  AppDown down_at_end{sandbox, "settings"};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}), ExitsWith(0));
  REQUIRE(eventually([&] {
    auto rows = services(sandbox, "settings");
    return rows["relative"].state == "completed" && rows["default_dir"].state == "completed" && rows["words"].state == "completed";
  }));
  const std::string root = std::filesystem::canonical(sandbox.root()).string();
  CHECK(sandbox.tproc({"logs", "settings", "relative"}).out == "cwd=" + root + "/data\nGREETING=hello there\n");
  CHECK(sandbox.tproc({"logs", "settings", "default_dir"}).out == "cwd=" + root + "\nHOME=/nowhere\n");
  const std::string words = sandbox.tproc({"logs", "settings", "words"}).out;
  CHECK(contains(words, "argc=4\n"));
  CHECK(contains(words, "[1]=one\n[2]=two three\n[3]=four\n"));
}

TEST_CASE("up again on a running app replaces only the service whose definition changed") {
  Sandbox sandbox;
  program_bundle(sandbox, "sleeper", "sleeper");
  const std::string before =
      "name: twice\n"
      "services:\n"
      "  steady:\n"
      "    bundle: sleeper.bundle\n"
      "    args: [\"60\"]\n"
      "  changing:\n"
      "    bundle: sleeper.bundle\n"
      "    args: [\"60\"]\n"
      "    depends_on: [steady]\n";
  sandbox.write_file("app.yaml", before);
  AppDown down_at_end{sandbox, "twice"};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}), ExitsWith(0));
  const auto first = services(sandbox, "twice");

  Outcome same = sandbox.tproc({"up", "-d", "-f", "app.yaml"});  // nothing changed: nothing moves
  REQUIRE_THAT(same, ExitsWith(0));
  CHECK_FALSE(contains(same.err, "started"));
  CHECK(services(sandbox, "twice")["changing"].id == first.at("changing").id);

  sandbox.write_file("app.yaml", before + "    environment: {MODE: new}\n");
  Outcome again = sandbox.tproc({"up", "-d", "-f", "app.yaml"});
  REQUIRE_THAT(again, ExitsWith(0));
  CHECK(contains(again.err, "changing: definition changed: replacing it"));
  CHECK_FALSE(contains(again.err, "steady:"));
  const auto second = services(sandbox, "twice");
  CHECK(second.at("steady").id == first.at("steady").id);
  CHECK(second.at("steady").tproc_state == "running");
  CHECK(second.at("changing").id != first.at("changing").id);
  CHECK(second.at("changing").tproc_state == "running");
  CHECK(sandbox.ps("twice").size() == 2);  // the old `changing` has stopped
}

TEST_CASE("a killed supervisor leaves its services running: ps says so, and up or down stop what it left") {
  Sandbox sandbox;
  program_bundle(sandbox, "sleeper", "sleeper");
  sandbox.write_file("app.yaml",
                     "name: orphans\n"
                     "services:\n"
                     "  lone:\n"
                     "    bundle: sleeper.bundle\n"
                     "    args: [\"60\"]\n"
                     "    stop_signal: INT\n");
  AppDown down_at_end{sandbox, "orphans"};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}), ExitsWith(0));
  const std::string first = services(sandbox, "orphans")["lone"].id;
  // The state file's first record: app NAME SPACE FILE SUPERVISOR_PID.
  const std::string state = read_file(sandbox.home_dir() / "compose" / "orphans" / "state");
  const pid_t supervisor = static_cast<pid_t>(std::stol(state.substr(state.find_last_of('\t', state.find('\n')) + 1)));
  REQUIRE(process_alive(supervisor));
  ::kill(supervisor, SIGKILL);
  REQUIRE(eventually([&] { return !process_alive(supervisor); }));

  Outcome ps = sandbox.tproc({"ps", "orphans"});
  CHECK(contains(ps.err, "the supervisor of app 'orphans' is not running"));
  CHECK(sandbox.tproc_info("orphans", first).state == "running");

  Outcome up = sandbox.tproc({"up", "-d", "-f", "app.yaml"});  // stops what was left, starts anew
  REQUIRE_THAT(up, ExitsWith(0));
  CHECK(contains(up.err, "lone: stopped"));
  const std::string second = services(sandbox, "orphans")["lone"].id;
  CHECK(second != first);
  CHECK(sandbox.ps("orphans").size() == 1);

  const std::string again = read_file(sandbox.home_dir() / "compose" / "orphans" / "state");
  ::kill(static_cast<pid_t>(std::stol(again.substr(again.find_last_of('\t', again.find('\n')) + 1))), SIGKILL);
  REQUIRE(eventually([&] { return contains(sandbox.tproc({"ps", "orphans"}).err, "is not running"); }));
  Outcome down = sandbox.tproc({"down", "orphans"});
  CHECK_THAT(down, ExitsWith(0));
  CHECK(contains(down.err, "lone: stopped"));
  CHECK(sandbox.ps("orphans").empty());
}

TEST_CASE("up attached prints each service's output prefixed by its name, Ctrl-C stops the app like down") {
  Sandbox sandbox;
  program_bundle(sandbox, "sleeper", "sleeper");
  sandbox.write_file("app.yaml",
                     "name: attached\n"
                     "services:\n"
                     "  napper:\n"
                     "    bundle: sleeper.bundle\n"
                     "    args: [\"60\"]\n");
  AppDown down_at_end{sandbox, "attached"};
  ChildProcess up = sandbox.start_tproc({"up", "-f", "app.yaml"});
  REQUIRE(up.wait_for_output("napper-1 | sleeping"));
  up.send_signal(SIGINT);
  Outcome ended = up.wait(20s);
  CHECK_THAT(ended, ExitsWith(130));
  CHECK(contains(ended.err, "napper: stopped (killed by SIGTERM)"));
  CHECK(sandbox.ps("attached").empty());
  CHECK_THAT(sandbox.tproc({"ps", "attached"}), ExitsWith(0));  // the app is gone, the space stays
}

TEST_CASE("the samples: kv's clients wait until the server is ready, the pipeline runs to its end attached") {
  Sandbox sandbox;
  AppDown down_kv{sandbox, "kv"};
  Outcome up = sandbox.tproc({"up", "-d", "-f", sample("kv", "app.yaml")});
  REQUIRE_THAT(up, ExitsWith(0));
  CHECK(position_of(up.err, "server: ready (kv.requests)") < position_of(up.err, "alice: started"));
  REQUIRE(eventually([&] {
    auto rows = services(sandbox, "kv");
    return rows["alice"].state == "completed" && rows["bob"].state == "completed";
  }));
  for (const char* client : {"alice", "bob"}) {
    Outcome logs = sandbox.tproc({"logs", "kv", client});
    CHECK(contains(logs.out, std::string("kv_client ") + client + ": "));
    CHECK(contains(logs.out, "all verified"));
  }
  auto before = services(sandbox, "kv");
  CHECK(before["server"].state == "ready");
  // Nothing changed: the server keeps running and the clients, which did their job, stay done.
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", sample("kv", "app.yaml")}), ExitsWith(0));
  auto after = services(sandbox, "kv");
  CHECK(after["server"].id == before["server"].id);
  CHECK(after["alice"].id == before["alice"].id);
  CHECK(after["alice"].state == "completed");
  REQUIRE_THAT(sandbox.tproc({"down", "kv"}), ExitsWith(0));

  AppDown down_pipeline{sandbox, "pipeline"};
  Outcome pipeline = sandbox.tproc({"up", "-f", sample("pipeline", "app.yaml")}, {}, 60s);
  REQUIRE_THAT(pipeline, ExitsWith(0));
  CHECK(contains(pipeline.out, "producer-1    | producer: 4 buffers of 8 MiB handed over by pointer"));
  CHECK(contains(pipeline.out, "consumer-1    | consumer: 4 buffers (32 MiB) received by pointer, checksums ok"));
  CHECK(position_of(pipeline.err, "consumer: started") < position_of(pipeline.err, "transformer: started"));
  CHECK(position_of(pipeline.err, "transformer: started") < position_of(pipeline.err, "producer: started"));
  // The whole app has ended: up runs it all again.
  Outcome again = sandbox.tproc({"up", "-f", sample("pipeline", "app.yaml")}, {}, 60s);
  REQUIRE_THAT(again, ExitsWith(0));
  CHECK(contains(again.err, "producer: has ended: starting it again"));
  CHECK(contains(again.out, "consumer-1    | consumer: 4 buffers (32 MiB) received by pointer, checksums ok"));
}
