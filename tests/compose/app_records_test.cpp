// Specification of the files compose keeps: record lines (escaping), the app spec (round trip, and
// what counts as a changed definition), the app state `tproc ps` reads; and restart decisions.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "compose/app_spec.hpp"
#include "compose/app_state.hpp"
#include "compose/record_file.hpp"
#include "compose/restart_policy.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tproc::compose;

/// A temp dir, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tproc-compose-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

ServiceSpec sample_service() {
  ServiceSpec spec;
  spec.service.name = "server";
  spec.service.bundle = ".";
  spec.service.args = std::vector<std::string>{"--name", "tab\there", "new\nline", "back\\slash", ""};
  spec.service.environment = {{"A", "1"}, {"B", ""}};
  spec.service.working_dir = "/srv";
  Dependency dependency;
  dependency.service = "db";
  dependency.condition = Condition::ready;
  dependency.timeout = 2500ms;
  dependency.path = "services.server.depends_on.db";
  dependency.where = {7, 9};
  spec.service.depends_on.push_back(dependency);
  spec.service.restart = RestartPolicy{RestartMode::on_failure, 4};
  spec.service.stop_signal = SIGINT;
  spec.service.stop_grace_period = 1500ms;
  spec.service.replicas = 1;
  spec.service.where = {3, 3};
  spec.bundle_path = "/home/app/bundles/server.bundle";
  spec.bundle_digest = "sha256:abc";
  spec.endpoints = {"kv.requests"};
  return spec;
}

}  // namespace

TEST_CASE("a record keeps tabs, newlines and backslashes inside its fields") {
  const Record record{"a\tb", "c\nd", "e\\f", "", "plain"};
  CHECK(decode_record(encode_record(record)) == record);
  CHECK(encode_record(record).find('\n') == std::string::npos);
}

TEST_CASE("an app spec reads back as it was written") {
  TempDir dir;
  AppSpec spec;
  spec.name = "kv";
  spec.space = "kv-space";
  spec.compose_file = "/home/app/app.yaml";
  ServiceSpec db;
  db.service.name = "db";
  db.service.bundle = "db.bundle";
  db.bundle_path = "/home/app/db.bundle";
  db.bundle_digest = "sha256:def";
  spec.services = {db, sample_service()};
  const std::string path = (dir.path / "app.spec").string();
  REQUIRE(spec.save(path));

  auto loaded = AppSpec::load(path);
  REQUIRE(loaded);
  CHECK(loaded->name == "kv");
  CHECK(loaded->space == "kv-space");
  CHECK(loaded->compose_file == "/home/app/app.yaml");
  REQUIRE(loaded->services.size() == 2);
  CHECK(loaded->services[1].service == spec.services[1].service);
  CHECK(loaded->services[1].bundle_path == spec.services[1].bundle_path);
  CHECK(loaded->services[1].bundle_digest == "sha256:abc");
  CHECK(loaded->services[1].endpoints == std::vector<std::string>{"kv.requests"});
  CHECK_FALSE(loaded->services[0].service.args.has_value());
  CHECK(loaded->services[1].definition() == spec.services[1].definition());
}

TEST_CASE("a definition changes with the bundle or anything that decides how the service starts, not with where it is written") {
  const ServiceSpec base = sample_service();
  ServiceSpec moved = base;
  moved.service.where = {30, 1};
  moved.service.depends_on[0].where = {40, 2};
  CHECK(moved.definition() == base.definition());

  ServiceSpec rebuilt = base;
  rebuilt.bundle_digest = "sha256:other";
  CHECK(rebuilt.definition() != base.definition());
  ServiceSpec new_args = base;
  new_args.service.args->push_back("--verbose");
  CHECK(new_args.definition() != base.definition());
  ServiceSpec new_env = base;
  new_env.service.environment[0].second = "2";
  CHECK(new_env.definition() != base.definition());
  ServiceSpec new_policy = base;
  new_policy.service.restart.mode = RestartMode::always;
  CHECK(new_policy.definition() != base.definition());
}

TEST_CASE("the app state reads back for ps, and a missing one is ENOENT") {
  TempDir dir;
  const std::string path = (dir.path / "state").string();
  CHECK(AppState::load(path).error().code() == ENOENT);
  AppState state;
  state.name = "kv";
  state.space = "kv";
  state.compose_file = "/app.yaml";
  state.supervisor = 42;
  state.services.push_back(ServiceState{"server", "ready", 2, 143, "", {{7, "server", true}}});
  state.services.push_back(ServiceState{"client", "blocked", 0, std::nullopt, "server did not become ready within 60s", {}, 12});
  REQUIRE(state.save(path));
  auto loaded = AppState::load(path);
  REQUIRE(loaded);
  CHECK(loaded->supervisor == 42);
  REQUIRE(loaded->services.size() == 2);
  CHECK(loaded->services[0].restarts == 2);
  CHECK(loaded->services[0].last_exit == 143);
  REQUIRE(loaded->services[0].tprocs.size() == 1);
  CHECK(loaded->services[0].tprocs[0].id == 7);
  CHECK(loaded->services[0].tprocs[0].running);
  CHECK(loaded->find("client")->reason == "server did not become ready within 60s");
  CHECK_FALSE(loaded->find("client")->last_exit.has_value());
  // Replicas not started yet are counted too (logs pads to their names).
  CHECK(loaded->find("client")->replicas == 12);
  CHECK(loaded->find("server")->replicas == 0);
}

TEST_CASE("an app state written without replica counts (an older supervisor's) reads with none") {
  TempDir dir;
  const std::string path = (dir.path / "state").string();
  REQUIRE(write_records(path, {{"app", "kv", "kv", "/app.yaml", "42"}, {"service", "server", "ready", "0", "-", ""},
                               {"tproc", "7", "server", "running"}}));
  auto loaded = AppState::load(path);
  REQUIRE(loaded);
  REQUIRE(loaded->services.size() == 1);
  CHECK(loaded->services[0].replicas == 0);
  CHECK(loaded->services[0].tprocs.size() == 1);
}

TEST_CASE("restart policies: no, always, on-failure with its maximum, unless-stopped, backoff doubles up to 30 s") {
  const RestartPolicy no{RestartMode::no, std::nullopt};
  const RestartPolicy always{RestartMode::always, std::nullopt};
  const RestartPolicy on_failure{RestartMode::on_failure, std::nullopt};
  const RestartPolicy on_failure_2{RestartMode::on_failure, 2};
  const RestartPolicy unless_stopped{RestartMode::unless_stopped, std::nullopt};
  CHECK_FALSE(should_restart(no, 1, 0));
  CHECK(should_restart(always, 0, 0));
  CHECK(should_restart(always, 128 + SIGTERM, 0));
  CHECK_FALSE(should_restart(on_failure, 0, 0));
  CHECK(should_restart(on_failure, 3, 100));
  CHECK(should_restart(on_failure_2, 3, 1));
  CHECK_FALSE(should_restart(on_failure_2, 3, 2));
  CHECK(should_restart(unless_stopped, 0, 0));
  CHECK(should_restart(unless_stopped, 128 + SIGKILL, 0));
  CHECK_FALSE(should_restart(unless_stopped, 128 + SIGTERM, 0));
  CHECK_FALSE(should_restart(unless_stopped, 128 + SIGINT, 0));

  CHECK(backoff(0) == 100ms);
  CHECK(backoff(1) == 200ms);
  CHECK(backoff(3) == 800ms);
  CHECK(backoff(8) == 25600ms);
  CHECK(backoff(9) == 30000ms);
  CHECK(backoff(1000) == 30000ms);
}
