// tproc compose (issue 16, Compose): `config` prints the file as tproc resolved it, and `up`,
// `down`, `ps` and `logs` run on the file's app, through the real binary.

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("compose config prints the resolved file: defaults filled in, paths absolute, long forms, no version") {
  Sandbox sandbox;
  sandbox.write_file("shop/app.yaml",
                     "version: \"3.8\"\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: web.bundle\n"
                     "    command: serve --port 80\n"
                     "    environment: {GREETING: \"no\"}\n"
                     "    depends_on: [db]\n"
                     "    replicas: 2\n"
                     "    stop_grace_period: 1500ms\n"
                     "  db:\n"
                     "    bundle: /srv/db.bundle\n"
                     "    restart: on-failure:3\n"
                     "    working_dir: data\n");
  const std::string dir = std::filesystem::canonical(sandbox.root() / "shop").native();
  Outcome config = sandbox.tproc({"compose", "-f", (sandbox.root() / "shop/app.yaml").native(), "config"});
  REQUIRE_THAT(config, ExitsWith(0));
  CHECK(config.out ==
        "name: shop\n"
        "space: shop\n"
        "services:\n"
        "  web:\n"
        "    bundle: " + dir + "/web.bundle\n"
        "    args: [\"serve\", \"--port\", \"80\"]\n"
        "    environment:\n"
        "      GREETING: \"no\"\n"
        "    depends_on:\n"
        "      db:\n"
        "        condition: started\n"
        "    restart: \"no\"\n"
        "    stop_signal: TERM\n"
        "    stop_grace_period: 1500ms\n"
        "    replicas: 2\n"
        "  db:\n"
        "    bundle: /srv/db.bundle\n"
        "    working_dir: " + dir + "/data\n"
        "    restart: \"on-failure:3\"\n"
        "    stop_signal: TERM\n"
        "    stop_grace_period: 10s\n"
        "    replicas: 1\n");
  // What it prints is a compose file that resolves to itself.
  const std::string again = sandbox.write_file("elsewhere/resolved.yaml", config.out, 0644);
  Outcome round_trip = sandbox.tproc({"compose", "-f", again, "config"});
  CHECK_THAT(round_trip, ExitsWith(0));
  CHECK(round_trip.out == config.out);
}

TEST_CASE("compose config of a bad file is the same one-line error as up's, and an unknown compose command gets a suggestion") {
  Sandbox sandbox;
  const std::string file = sandbox.write_file("app.yaml", "services:\n  web: {bundle: b, replicas: 0}\n", 0644);
  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "config"}), IsOneLineError().naming("app.yaml:2:").naming("replicas"));
  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "confg"}), IsOneLineError().naming("confg").naming("did you mean 'config'?"));
  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "config", "extra"}), IsOneLineError().naming("too many arguments"));
}

TEST_CASE("compose up, ps, logs and down run on the file's app") {
  Sandbox sandbox;
  bundle_of(sandbox, "say", program("exit_with"));
  bundle_of(sandbox, "nap", program("sleeper"));
  const std::string file = sandbox.write_file("app.yaml",
                                              "name: verbs\n"
                                              "services:\n"
                                              "  once:\n"
                                              "    bundle: say.bundle\n"
                                              "    args: [\"0\", said]\n"
                                              "  long:\n"
                                              "    bundle: nap.bundle\n"
                                              "    args: [\"60\"]\n",
                                              0644);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "verbs"}, {}, 30s); }
  } down_at_end{sandbox};
  REQUIRE_THAT(sandbox.tproc({"compose", "-f", file, "up", "-d"}, {}, 120s), ExitsWith(0));
  Outcome listed = sandbox.tproc({"compose", "-f", file, "ps", "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  INFO(listed.out);
  size_t services = 0;
  const Json rows = Json::parse(listed.out);
  for (const Json& row : rows.items()) services += row.find("service") != nullptr;
  CHECK(services == 2);
  REQUIRE(eventually([&] { return sandbox.tproc({"compose", "-f", file, "logs", "once"}).out == "said\n"; }, 30s));
  Outcome all = sandbox.tproc({"compose", "-f", file, "logs", "-t"});
  CHECK_THAT(all, ExitsWith(0));
  CHECK(contains(all.out, "once-1 | "));
  CHECK(contains(all.out, "Z said\n"));
  CHECK(contains(all.out, "long-1 | "));
  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "down"}, {}, 30s), ExitsWith(0));
  CHECK(sandbox.ps("verbs").empty());
}

namespace {

/// Each service's latest tproc id and its state, as `tproc ps SPACE --format json` lists them.
std::map<std::string, std::pair<std::string, std::string>> service_tprocs(Sandbox& sandbox, const std::string& space) {
  Outcome listed = sandbox.tproc({"ps", space, "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  std::map<std::string, std::pair<std::string, std::string>> found;
  const Json rows = Json::parse(listed.out);
  for (const Json& row : rows.items())
    if (const Json* service = row.find("service"))
      found[service->str()] = {row.at("id").kind() == Json::Kind::Null ? "" : row.at("id").text(), row.at("state").str()};
  return found;
}

}  // namespace

TEST_CASE("compose restart SERVICE stops and starts that service again, its dependents untouched, no SERVICE: all") {
  Sandbox sandbox;
  bundle_of(sandbox, "nap", program("sleeper"));
  const std::string file = sandbox.write_file("app.yaml",
                                              "name: again\n"
                                              "services:\n"
                                              "  db:\n"
                                              "    bundle: nap.bundle\n"
                                              "    args: [\"60\"]\n"
                                              "  web:\n"
                                              "    bundle: nap.bundle\n"
                                              "    args: [\"60\"]\n"
                                              "    depends_on: [db]\n",
                                              0644);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "again"}, {}, 30s); }
  } down_at_end{sandbox};
  REQUIRE_THAT(sandbox.tproc({"compose", "-f", file, "up", "-d"}, {}, 120s), ExitsWith(0));
  const auto before = service_tprocs(sandbox, "again");
  REQUIRE(before.at("db").second == "running");
  REQUIRE(before.at("web").second == "running");

  Outcome restarted = sandbox.tproc({"compose", "-f", file, "restart", "db"}, {}, 60s);
  CHECK_THAT(restarted, ExitsWith(0));
  CHECK(contains(restarted.err, "db: restarting"));
  CHECK(contains(restarted.err, "db: started"));
  const auto after_db = service_tprocs(sandbox, "again");
  CHECK(after_db.at("db").first != before.at("db").first);
  CHECK(after_db.at("db").second == "running");
  CHECK(after_db.at("web") == before.at("web"));

  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "restart"}, {}, 60s), ExitsWith(0));
  const auto after_all = service_tprocs(sandbox, "again");
  CHECK(after_all.at("db").first != after_db.at("db").first);
  CHECK(after_all.at("web").first != after_db.at("web").first);
  CHECK(after_all.at("db").second == "running");
  CHECK(after_all.at("web").second == "running");

  CHECK_THAT(sandbox.tproc({"compose", "-f", file, "restart", "cache"}), IsOneLineError().naming("no service 'cache'"));
}
