// tproc restart (issue 16), as docker restart: a detached tproc is stopped as tproc stop stops it
// and started again from the request it was started with, keeping its id, name and log; an
// exited one is simply started again; what cannot be restarted is refused in one line, touching
// nothing; the daemon serves everyone else throughout.

#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

std::string logs(Sandbox& sandbox, const std::string& space, const std::string& id) {
  return sandbox.tproc({"logs", space, id}).out;
}

/// Waits until tproc `id`'s log is exactly `text`.
bool log_becomes(Sandbox& sandbox, const std::string& space, const std::string& id, const std::string& text) {
  return eventually([&] { return logs(sandbox, space, id) == text; });
}

Json inspect(Sandbox& sandbox, const std::string& space, const std::string& target) {
  const Outcome outcome = sandbox.tproc({"inspect", space, target});
  REQUIRE_THAT(outcome, ExitsWith(0));
  return Json::parse(outcome.out);
}

bool exited(Sandbox& sandbox, const std::string& space, const std::string& id) {
  auto found = sandbox.find_tproc(space, id, true);
  return found && found->state == "exited";
}

}  // namespace

TEST_CASE("restart gives a detached tproc a new pid with the same id, name, labels and environment, and its log goes on") {
  Sandbox sandbox;
  const std::string id =
      sandbox.detach({"--name", "nap", "-l", "tier=web", "-e", "GREETING=hi", "s", program("sleeper"), "300"});
  REQUIRE(log_becomes(sandbox, "s", id, "sleeping\n"));
  const TprocInfo before = sandbox.tproc_info("s", id);
  CHECK(inspect(sandbox, "s", id).at("restarts").text() == "0");

  const Outcome restarted = sandbox.tproc({"restart", "-t", "5", "s", "nap"});
  REQUIRE_THAT(restarted, ExitsWith(0));
  CHECK(restarted.out == "nap\n");

  const TprocInfo after = sandbox.tproc_info("s", id);
  CHECK(after.name == "nap");
  CHECK(after.state == "running");
  CHECK(after.pid != before.pid);
  CHECK(after.labels == before.labels);
  CHECK(sandbox.ps("s", true).size() == 1);  // the same record, not a second one
  CHECK(log_becomes(sandbox, "s", id, "sleeping\nsleeping\n"));
  const Json shown = inspect(sandbox, "s", "nap");
  CHECK(shown.at("restarts").text() == "1");
  CHECK(shown.at("pid").text() == std::to_string(after.pid));
  bool has_greeting = false;
  for (const Json& variable : shown.at("env").items()) has_greeting |= variable.str() == "GREETING=hi";
  CHECK(has_greeting);
  // A second restart counts too, and the name still finds it.
  REQUIRE_THAT(sandbox.tproc({"restart", "-t", "5", "s", id}), ExitsWith(0));
  CHECK(inspect(sandbox, "s", id).at("restarts").text() == "2");
  CHECK(log_becomes(sandbox, "s", id, "sleeping\nsleeping\nsleeping\n"));
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", id}), ExitsWith(0));
}

TEST_CASE("restart starts an exited tproc again, and wait sees the new run's status") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", program("exit_with"), "7", "out", "err"});
  REQUIRE(eventually([&] { return exited(sandbox, "s", id); }));
  const pid_t first = sandbox.tproc_info("s", id, true).pid;

  const Outcome restarted = sandbox.tproc({"restart", "s", id});
  REQUIRE_THAT(restarted, ExitsWith(0));
  CHECK(restarted.out == id + "\n");
  const Outcome waited = sandbox.tproc({"wait", "s", id});
  REQUIRE_THAT(waited, ExitsWith(0));
  CHECK(waited.out == "7\n");
  CHECK(sandbox.tproc_info("s", id, true).pid != first);
  // Both runs' stdout and stderr, each stream in its own file as before.
  const Outcome shown = sandbox.tproc({"logs", "s", id});
  CHECK(shown.out == "out\nout\n");
  CHECK(shown.err == "err\nerr\n");
  CHECK(inspect(sandbox, "s", id).at("restarts").text() == "1");
}

TEST_CASE("restart -t: a program that ignores SIGTERM is killed after the grace period, one that handles it exits by it") {
  Sandbox sandbox;
  // It ignores SIGTERM and sleeps 300 s: only the SIGKILL after the grace period ends it.
  const std::string stubborn = sandbox.detach({"s", program("sleeper"), "300", "ignore-term"});
  const std::string polite = sandbox.detach({"s", program("wait_signal"), "TERM"});
  REQUIRE(log_becomes(sandbox, "s", stubborn, "sleeping\n"));
  REQUIRE(log_becomes(sandbox, "s", polite, "ready\n"));
  const pid_t stubborn_pid = sandbox.tproc_info("s", stubborn).pid;

  const Outcome restarted = sandbox.tproc({"restart", "-t", "1", "s", stubborn, polite});
  REQUIRE_THAT(restarted, ExitsWith(0));
  CHECK(restarted.out == stubborn + "\n" + polite + "\n");
  CHECK(sandbox.tproc_info("s", stubborn).pid != stubborn_pid);
  CHECK(log_becomes(sandbox, "s", stubborn, "sleeping\nsleeping\n"));
  // Its handler ran in the first run, then the second run started.
  CHECK(log_becomes(sandbox, "s", polite, "ready\ngot SIGTERM\nready\n"));
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", stubborn, polite}), ExitsWith(0));
}

TEST_CASE("restart of a paused tproc thaws it after its SIGTERM, so its handler runs") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"t", program("wait_signal"), "TERM"});
  REQUIRE(log_becomes(sandbox, "t", id, "ready\n"));
  REQUIRE_THAT(sandbox.tproc({"pause", "t", id}), ExitsWith(0));

  // A grace period the test would time out in: only the thaw lets the handler end the first run.
  REQUIRE_THAT(sandbox.tproc({"restart", "-t", "600", "t", id}), ExitsWith(0));
  CHECK(log_becomes(sandbox, "t", id, "ready\ngot SIGTERM\nready\n"));
  CHECK(sandbox.tproc_info("t", id).state == "running");  // running again, not paused
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "t", id}), ExitsWith(0));
}

TEST_CASE("restart takes several tprocs at once, and one that exits by itself during the stop starts again too") {
  Sandbox sandbox;
  const std::string a = sandbox.detach({"--name", "a", "s", program("sleeper"), "300"});
  const std::string b = sandbox.detach({"--name", "b", "s", program("sleeper"), "300"});
  // Ignores SIGTERM, and ends by itself long before its grace period would.
  const std::string quitter = sandbox.detach({"--name", "quitter", "s", program("sleeper"), "1", "ignore-term"});
  REQUIRE(log_becomes(sandbox, "s", quitter, "sleeping\n"));
  const pid_t a_pid = sandbox.tproc_info("s", "a").pid;
  const pid_t b_pid = sandbox.tproc_info("s", "b").pid;

  const Outcome restarted = sandbox.tproc({"restart", "-t", "60", "s", "a", b, "quitter", "a"});
  REQUIRE_THAT(restarted, ExitsWith(0));
  CHECK(restarted.out == "a\n" + b + "\nquitter\na\n");
  CHECK(sandbox.tproc_info("s", "a").pid != a_pid);
  CHECK(sandbox.tproc_info("s", "b").pid != b_pid);
  CHECK(inspect(sandbox, "s", "a").at("restarts").text() == "1");  // named twice, restarted once
  CHECK(log_becomes(sandbox, "s", quitter, "sleeping\nsleeping\n"));
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", a, b, quitter}), ExitsWith(0));
}

TEST_CASE("restart refuses in one line what it cannot restart, and touches none of the others named") {
  Sandbox sandbox;
  const std::string nap = sandbox.detach({"--name", "nap", "s", program("sleeper"), "300"});
  const pid_t nap_pid = sandbox.tproc_info("s", nap).pid;

  CHECK_THAT(sandbox.tproc({"restart", "s", "nap", "ghost"}), IsOneLineError().naming("no tproc 'ghost' in space 's'"));

  ChildProcess attached = sandbox.start_tproc({"run", "s", program("sleeper"), "300"});
  REQUIRE(attached.wait_for_output("sleeping"));
  std::string attached_id;
  for (const TprocInfo& info : sandbox.ps("s"))
    if (info.id != nap) attached_id = info.id;
  REQUIRE_FALSE(attached_id.empty());
  CHECK_THAT(sandbox.tproc({"restart", "s", nap, attached_id}),
             IsOneLineError().naming("tproc " + attached_id +
                                     " (sleeper) was started attached; only a detached tproc (run -d) can be restarted"));

  CHECK_THAT(sandbox.tproc({"restart", "-t", "soon", "s", nap}), IsOneLineError().naming("invalid --time 'soon'"));
  // stop reads -t as restart does: "nan" and more than a year are refused too, touching nothing.
  CHECK_THAT(sandbox.tproc({"stop", "-t", "nan", "s", nap}), IsOneLineError().naming("invalid --time 'nan'"));
  CHECK_THAT(sandbox.tproc({"stop", "-t", "1e9", "s", nap}), IsOneLineError().naming("invalid --time '1e9'"));
  CHECK_THAT(sandbox.tproc({"restart", "s"}), IsOneLineError().naming("restart needs SPACE and ID|NAME"));
  CHECK_THAT(sandbox.tproc({"restart", "nowhere", "1"}), IsOneLineError().naming("no space 'nowhere'"));

  // Nothing was touched: the same run, and the attached one still runs with its client.
  CHECK(sandbox.tproc_info("s", nap).pid == nap_pid);
  CHECK(inspect(sandbox, "s", nap).at("restarts").text() == "0");
  CHECK_FALSE(attached.exited());
  attached.send_signal(SIGTERM);
  attached.wait();
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", nap}), ExitsWith(0));
}

TEST_CASE("a run --rm tproc is kept through its restart, and removed once it exits") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--rm", "s", program("sleeper"), "300"});
  REQUIRE(log_becomes(sandbox, "s", id, "sleeping\n"));
  REQUIRE_THAT(sandbox.tproc({"restart", "s", id}), ExitsWith(0));
  CHECK(sandbox.tproc_info("s", id).state == "running");
  CHECK(log_becomes(sandbox, "s", id, "sleeping\nsleeping\n"));
  REQUIRE_THAT(sandbox.tproc({"stop", "s", id}), ExitsWith(0));
  CHECK(eventually([&] { return !sandbox.find_tproc("s", id, true).has_value(); }));
}

TEST_CASE("the daemon serves everyone else while a restart waits out its grace period") {
  Sandbox sandbox;
  const std::string sibling = sandbox.detach({"s", program("sleeper"), "300"});
  const pid_t sibling_pid = sandbox.tproc_info("s", sibling).pid;
  const std::string stubborn = sandbox.detach({"s", program("sleeper"), "300", "ignore-term"});
  REQUIRE(log_becomes(sandbox, "s", stubborn, "sleeping\n"));

  // A grace period longer than the test: the restart ends when the test kills the old run.
  ChildProcess restarting = sandbox.start_tproc({"restart", "-t", "600", "s", stubborn});
  // Until the daemon has it, the unknown second target makes this probe touch nothing.
  REQUIRE(eventually([&] {
    return sandbox.tproc({"restart", "s", stubborn, "ghost"}).err.find("already being restarted") != std::string::npos;
  }));
  // While it waits: other programs run, ps answers, the sibling is untouched.
  const Outcome ran = sandbox.tproc({"run", "s", program("exit_with"), "0", "served"});
  CHECK_THAT(ran, ExitsWith(0));
  CHECK(ran.out == "served\n");
  CHECK(sandbox.tproc_info("s", sibling).pid == sibling_pid);
  CHECK_FALSE(restarting.exited());  // still in its grace period (the program ignores SIGTERM)
  // Another restart of the same tproc meanwhile is refused, not queued.
  CHECK_THAT(sandbox.tproc({"restart", "s", stubborn}),
             IsOneLineError().naming("tproc " + stubborn + " (sleeper) is already being restarted"));

  // However the old run ends, the restart starts it again.
  REQUIRE_THAT(sandbox.tproc({"kill", "-s", "KILL", "s", stubborn}), ExitsWith(0));
  const Outcome done = restarting.wait();
  REQUIRE_THAT(done, ExitsWith(0));
  CHECK(done.out == stubborn + "\n");
  CHECK(sandbox.tproc_info("s", sibling).pid == sibling_pid);
  CHECK(sandbox.tproc_info("s", stubborn).state == "running");
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", sibling, stubborn}), ExitsWith(0));
}

// --- bundles: the in-use lock is held while a run runs, taken again for an exited one ---------

TEST_CASE("a bundle's tproc keeps its bundle in use across a restart, and an exited one takes it again") {
  Sandbox sandbox;
  const std::string nap = bundle_of(sandbox, "nap", program("sleeper"), "args: [\"300\"]\n");
  const std::string id = sandbox.detach({"s", nap});
  REQUIRE(log_becomes(sandbox, "s", id, "sleeping\n"));

  REQUIRE_THAT(sandbox.tproc({"restart", "-t", "1", "s", id}), ExitsWith(0));
  CHECK(log_becomes(sandbox, "s", id, "sleeping\nsleeping\n"));
  CHECK(inspect(sandbox, "s", id).at("bundle").at("name").str() == "nap");
  REQUIRE_THAT(sandbox.tproc({"prune"}), ExitsWith(0));
  CHECK(images(sandbox).size() == 1);  // still in use

  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "s", id}), ExitsWith(0));
  REQUIRE(eventually([&] { return exited(sandbox, "s", id); }));
  REQUIRE_THAT(sandbox.tproc({"restart", "s", id}), ExitsWith(0));
  CHECK(log_becomes(sandbox, "s", id, "sleeping\nsleeping\nsleeping\n"));
  REQUIRE_THAT(sandbox.tproc({"prune"}), ExitsWith(0));
  CHECK(images(sandbox).size() == 1);  // in use again

  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", id}), ExitsWith(0));
  CHECK(eventually([&] {
    sandbox.tproc({"prune"});
    return images(sandbox).empty();
  }));
}

TEST_CASE("restart of an exited bundle tproc whose bundle was pruned since is refused in one line") {
  Sandbox sandbox;
  const std::string done = bundle_of(sandbox, "done", program("exit_with"), "args: [\"0\", \"bye\"]\n");
  const std::string id = sandbox.detach({"s", done});
  REQUIRE(eventually([&] { return exited(sandbox, "s", id); }));
  // Once it has exited nothing holds the bundle: prune may remove it, as before restart existed.
  REQUIRE(eventually([&] {
    sandbox.tproc({"prune"});
    return images(sandbox).empty();
  }));

  CHECK_THAT(sandbox.tproc({"restart", "s", id}),
             IsOneLineError().naming("tproc " + id + " (done): its bundle done was removed from the cache since it exited"));
  CHECK(exited(sandbox, "s", id));
  CHECK(logs(sandbox, "s", id) == "bye\n");
}

TEST_CASE("restart refuses a service's tproc of an app, naming the service and the compose verb") {
  Sandbox sandbox;
  bundle_of(sandbox, "nap", program("sleeper"));
  const std::string file = sandbox.write_file("app.yaml",
                                              "name: shop\n"
                                              "services:\n"
                                              "  web:\n"
                                              "    bundle: nap.bundle\n"
                                              "    args: [\"300\"]\n",
                                              0644);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "shop"}, {}, 30s); }
  } down_at_end{sandbox};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", file}, {}, 120s), ExitsWith(0));
  std::string id;
  REQUIRE(eventually([&] {
    const std::vector<TprocInfo> running = sandbox.ps("shop");
    if (running.size() == 1) id = running[0].id;
    return !id.empty();
  }));
  const TprocInfo before = sandbox.tproc_info("shop", id);

  CHECK_THAT(sandbox.tproc({"restart", "shop", id}),
             IsOneLineError().naming("tproc " + id + " (" + before.name + ") is service web of app shop: use tproc compose restart web"));
  CHECK_THAT(sandbox.tproc({"restart", "shop", before.name}), IsOneLineError().naming("is service web of app shop"));
  CHECK(sandbox.tproc_info("shop", id).pid == before.pid);
}
