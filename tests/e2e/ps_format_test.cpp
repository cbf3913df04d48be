// ps as a docker user drives it (issue 16 item 2): -q, --filter, --format templates, one JSON
// schema, a bundle's name and arguments instead of ld.so's command line; human sizes in images.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"
#include "terminal.hpp"

using namespace tproc::e2e;

namespace {

/// A space with a running labelled `web`, a running `worker` and an exited `batch` (status 3).
struct Scene {
  Sandbox sandbox;
  std::string web, worker, batch;
  Scene() {
    web = sandbox.detach({"--name", "web", "-l", "tier=front", "-l", "canary", "s", program("sleeper"), "300"});
    worker = sandbox.detach({"--name", "worker", "-l", "tier=back", "s", program("sleeper"), "300"});
    batch = sandbox.detach({"--name", "batch", "s", program("exit_with"), "3"});
    eventually([&] { auto b = sandbox.find_tproc("s", batch, true); return b && b->state == "exited"; });
  }
  ~Scene() { sandbox.tproc({"rm", "-f", "s", web, worker, batch}); }
  std::string ps(const std::vector<std::string>& args) {
    std::vector<std::string> all{"ps", "s"};
    all.insert(all.end(), args.begin(), args.end());
    Outcome listed = sandbox.tproc(all);
    REQUIRE_THAT(listed, ExitsWith(0));
    return listed.out;
  }
};

}  // namespace

TEST_CASE("ps -q prints only the ids, and follows -a and --filter") {
  Scene scene;
  CHECK(scene.ps({"-q"}) == scene.web + "\n" + scene.worker + "\n");
  CHECK(scene.ps({"-q", "-a"}) == scene.web + "\n" + scene.worker + "\n" + scene.batch + "\n");
  CHECK(scene.ps({"-q", "-a", "--filter", "status=exited"}) == scene.batch + "\n");
}

TEST_CASE("ps --filter: one key's values are alternatives, different keys must all match") {
  Scene scene;
  CHECK(scene.ps({"-q", "-a", "--filter", "name=w"}) == scene.web + "\n" + scene.worker + "\n");  // contains
  CHECK(scene.ps({"-q", "-a", "-f", "label=tier=back"}) == scene.worker + "\n");
  CHECK(scene.ps({"-q", "-a", "-f", "label=canary"}) == scene.web + "\n");
  CHECK(scene.ps({"-q", "-a", "-f", "label=tier"}) == scene.web + "\n" + scene.worker + "\n");
  CHECK(scene.ps({"-q", "-a", "-f", "id=" + scene.batch, "-f", "id=" + scene.web}) == scene.web + "\n" + scene.batch + "\n");
  CHECK(scene.ps({"-q", "-a", "-f", "name=w", "-f", "label=tier=front"}) == scene.web + "\n");
  CHECK(scene.ps({"-q", "-a", "-f", "status=running", "-f", "name=batch"}).empty());
}

TEST_CASE("ps --filter names a key or status it does not know") {
  Scene scene;
  CHECK_THAT(scene.sandbox.tproc({"ps", "s", "--filter", "nmae=web"}),
             IsOneLineError().naming("unknown key 'nmae'").naming("did you mean 'name'?"));
  CHECK_THAT(scene.sandbox.tproc({"ps", "s", "--filter", "status=sleeping"}), IsOneLineError().naming("status=sleeping"));
  CHECK_THAT(scene.sandbox.tproc({"ps", "s", "--filter", "web"}), IsOneLineError().naming("--filter 'web'"));
}

TEST_CASE("ps --format with {{.Field}} placeholders prints a line per tproc, or a table under a header") {
  Scene scene;
  CHECK(scene.ps({"-a", "--filter", "name=batch", "--format", "{{.ID}}:{{.Name}}:{{.Status}}"}) ==
        scene.batch + ":batch:exited (3)\n");
  CHECK(scene.ps({"--filter", "name=web", "--format", "{{.Name}}\\t{{.Labels}}"}) == "web\ttier=front,canary=\n");
  const std::vector<std::string> table = lines(scene.ps({"--format", "table {{.ID}}\\t{{.Name}}"}));
  REQUIRE(table.size() == 3);
  CHECK(table[0].rfind("ID", 0) == 0);
  CHECK(table[0].find("NAME") != std::string::npos);
  CHECK(table[1].rfind(scene.web + " ", 0) == 0);
  CHECK(table[1].find("web") == table[0].find("NAME"));  // aligned under its header
  CHECK_THAT(scene.sandbox.tproc({"ps", "s", "--format", "{{.Nme}}"}),
             IsOneLineError().naming("unknown placeholder '{{.Nme}}'").naming("did you mean '{{.Name}}'?"));
  CHECK_THAT(scene.sandbox.tproc({"ps", "s", "--format", "{{.ID"}), IsOneLineError().naming("never closed"));
}

TEST_CASE("ps --format json has the same fields whatever the state, numbers as numbers") {
  Scene scene;
  const Json rows = Json::parse(scene.ps({"-a", "--format", "json"}));
  REQUIRE(rows.items().size() == 3);
  for (const Json& row : rows.items()) {
    for (const char* field : {"space", "id", "name", "pid", "state", "exit_status", "detached", "started", "command", "bundle", "labels"}) {
      INFO(row.source() << " field " << field);
      CHECK(row.find(field) != nullptr);
    }
    CHECK(row.at("id").is_number());
    CHECK(row.at("pid").is_number());
    CHECK(row.at("bundle").kind() == Json::Kind::Null);
  }
  const Json& web = rows.items()[0];
  CHECK(web.at("exit_status").kind() == Json::Kind::Null);
  CHECK(web.at("labels").at("tier").str() == "front");
  CHECK(rows.items()[2].at("exit_status").number() == 3);
}

TEST_CASE("ps shows a bundle's name and the app's arguments, not ld.so's command line") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "napper", program("sleeper"));
  const std::string id = sandbox.detach({"s", bundle, "300", "ignore-term"});
  const Json rows = Json::parse(sandbox.tproc({"ps", "s", "--format", "json"}).out);
  REQUIRE(rows.items().size() == 1);
  const Json& row = rows.items()[0];
  CHECK(row.at("command").str() == "sleeper 300 ignore-term");
  CHECK(row.at("bundle").at("name").str() == "napper");
  CHECK(row.at("bundle").at("digest").str().rfind("sha256:", 0) == 0);
  const std::vector<std::string> table = lines(sandbox.tproc({"ps", "s"}).out);
  REQUIRE(table.size() == 2);
  CHECK(table[0].find("BUNDLE") != std::string::npos);
  CHECK(table[1].rfind("napper") == table[0].find("BUNDLE"));  // NAME is napper too
  CHECK(sandbox.tproc({"ps", "s", "--format", "{{.Bundle}} {{.Command}}"}).out == "napper sleeper 300 ignore-term\n");
  CHECK_THAT(sandbox.tproc({"rm", "-f", "s", id}), ExitsWith(0));
}

TEST_CASE("ps on a terminal cuts each line to the terminal's width, --no-trunc and a pipe never") {
  Sandbox sandbox;
  const std::string long_argument(120, 'x');
  const std::string id = sandbox.detach({"s", program("sleeper"), "300", long_argument});
  const Outcome cut = on_terminal(sandbox, {tproc_binary(), "ps", "s"}, {}, 70);
  REQUIRE_THAT(cut, ExitsWith(0));
  INFO(cut.out);
  const std::vector<std::string> shown = lines(cut.out);
  REQUIRE(shown.size() == 2);
  CHECK(shown[0].find("COMMAND") != std::string::npos);
  // The terminal's \r\n: 70 columns and the \r.
  CHECK(shown[1].size() == 71);
  CHECK(shown[1].ends_with("...\r"));
  CHECK(shown[1].starts_with(id + " "));
  CHECK(shown[1].find(" running ") != std::string::npos);

  const Outcome whole = on_terminal(sandbox, {tproc_binary(), "ps", "--no-trunc", "s"}, {}, 70);
  REQUIRE_THAT(whole, ExitsWith(0));
  CHECK(whole.out.find("sleeper 300 " + long_argument + "\r\n") != std::string::npos);
  CHECK(sandbox.tproc({"ps", "s"}).out.find("sleeper 300 " + long_argument + "\n") != std::string::npos);
  CHECK_THAT(sandbox.tproc({"rm", "-f", "s", id}), ExitsWith(0));
}

TEST_CASE("ps --filter service=SERVICE keeps the replicas of that service of the space's app") {
  Sandbox sandbox;
  bundle_of(sandbox, "napper", program("sleeper"));
  sandbox.write_file("app.yaml",
                     "name: shop\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: napper.bundle\n"
                     "    args: [\"300\"]\n"
                     "    replicas: 2\n"
                     "  db:\n"
                     "    bundle: napper.bundle\n"
                     "    args: [\"300\"]\n",
                     0644);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "shop"}, {}, std::chrono::seconds(30)); }
  } down{sandbox};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}, {}, std::chrono::seconds(60)), ExitsWith(0));
  const std::string other = sandbox.detach({"--name", "webby", "shop", program("sleeper"), "300"});
  auto names = [&](const std::vector<std::string>& filters) {
    std::vector<std::string> args{"ps", "shop", "--format", "{{.Name}}"};
    for (const std::string& filter : filters) args.insert(args.end(), {"--filter", filter});
    Outcome listed = sandbox.tproc(args);
    REQUIRE_THAT(listed, ExitsWith(0));
    std::vector<std::string> found = lines(listed.out);
    std::sort(found.begin(), found.end());
    return found;
  };
  CHECK(names({"service=web"}) == std::vector<std::string>{"web.1", "web.2"});
  CHECK(names({"service=db"}) == std::vector<std::string>{"db"});
  // Alternatives, and with another key: both must hold. A tproc of no service never matches.
  CHECK(names({"service=web", "service=db"}) == std::vector<std::string>{"db", "web.1", "web.2"});
  CHECK(names({"service=web", "name=.2"}) == std::vector<std::string>{"web.2"});
  CHECK(names({"name=web"}) == std::vector<std::string>{"web.1", "web.2", "webby"});
  CHECK(names({"service=nosuch"}).empty());
  CHECK_THAT(sandbox.tproc({"ps", "shop", "--filter", "servcie=web"}), IsOneLineError().naming("did you mean 'service'?"));
  CHECK_THAT(sandbox.tproc({"rm", "-f", "shop", other}), ExitsWith(0));
}
