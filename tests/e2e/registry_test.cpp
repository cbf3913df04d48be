// The space's registry between real tprocs (issue 4): programs started separately find each other's
// endpoints by name, wait for names to appear, become ready and go away; an owner's endpoints go
// with it however it ends; and many tprocs hammering the registry, channels and space heap at once,
// one of them killed -9 in the middle, lose, duplicate and leak nothing.
//
// The programs: tests/programs/registry_probe.cpp (one registry operation per run) and
// tests/programs/registry_stress.cpp (the stress roles).

#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "registry_support.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

const std::string kSpace = "reg";

/// `registry_probe ARGS...` run to completion in kSpace.
Outcome probe(Sandbox& sandbox, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", kSpace, program("registry_probe")});
  return sandbox.tproc(args);
}

/// `registry_probe publish TEXT NAMES...` started in kSpace; returns once it holds the names.
ChildProcess start_publisher(Sandbox& sandbox, const std::string& text, const std::vector<std::string>& names) {
  std::vector<std::string> args = {"run", kSpace, program("registry_probe"), "publish", text};
  args.insert(args.end(), names.begin(), names.end());
  ChildProcess publisher = sandbox.start_tproc(args, {.keep_stdin_open = true});
  if (!publisher.wait_for_output("holding pid "))
    throw std::runtime_error("registry_probe publish did not get to hold its names: " + publisher.out() +
                             publisher.err());
  return publisher;
}

pid_t pid_of_holder(const ChildProcess& holder) { return std::stoi(word_after(holder.out(), "holding pid ")); }

/// Whether `registry ls` lists no endpoint called any of `names`.
bool none_listed(Sandbox& sandbox, const std::vector<std::string>& names) {
  const std::vector<EndpointRow> rows = registry_ls(sandbox, kSpace);
  for (const std::string& name : names)
    if (find_endpoint(rows, name)) return false;
  return true;
}

}  // namespace

TEST_CASE("an endpoint one tproc publishes is looked up by another, which reads the data behind it") {
  Sandbox sandbox;
  ChildProcess publisher = start_publisher(sandbox, "hello from the publisher", {"reg.greeting"});
  const pid_t owner = pid_of_holder(publisher);
  const std::string address = word_after(publisher.out(), "published reg.greeting at ");

  Outcome found = probe(sandbox, {"lookup", "reg.greeting"});
  REQUIRE_THAT(found, ExitsWith(0));
  CHECK(word_after(found.out, "found reg.greeting at ") == address);
  CHECK(word_after(found.out, " owner ") == std::to_string(owner));
  CHECK(word_after(found.out, " state ") == "ready");
  CHECK(word_after(found.out, " kind ") == kind_text("probe.text"));
  // The text was read through the address: the publisher's memory, from another program.
  CHECK(found.out.find("text=hello from the publisher\n") != std::string::npos);

  SECTION("its kind tells a consumer whether it got what it expects") {
    CHECK_THAT(probe(sandbox, {"lookup", "reg.greeting", "probe.text"}), ExitsWith(0));
    Outcome wrong = probe(sandbox, {"lookup", "reg.greeting", "some.other.type"});
    CHECK_THAT(wrong, ExitsWith(3));
    CHECK(wrong.out == "lookup reg.greeting: EPROTOTYPE\n");
  }
  SECTION("a wait for a name already ready returns at once") {
    Outcome waited = probe(sandbox, {"wait", "reg.greeting", "0"});
    CHECK_THAT(waited, ExitsWith(0));
    CHECK(waited.out.find("text=hello from the publisher") != std::string::npos);
  }
  SECTION("registry ls shows the endpoint with its owner, address, kind and state") {
    const std::optional<EndpointRow> row = find_endpoint(registry_ls(sandbox, kSpace), "reg.greeting");
    REQUIRE(row);
    CHECK(row->owner_pid == owner);
    CHECK(row->owner_name == "registry_probe");
    CHECK(row->owner_id.has_value());
    CHECK(row->address == address);
    CHECK(row->kind == kind_text("probe.text"));
    CHECK(row->state == "ready");
    Outcome table = sandbox.tproc({"registry", "ls", kSpace});
    REQUIRE_THAT(table, ExitsWith(0));
    CHECK(lines_starting(table.out, "NAME").size() == 1);
    CHECK(lines_starting(table.out, "reg.greeting ").size() == 1);
  }
  SECTION("when the publisher exits, its endpoint is withdrawn") {
    publisher.close_stdin();
    CHECK_THAT(publisher.wait(), ExitsWith(0));
    CHECK(eventually([&] { return none_listed(sandbox, {"reg.greeting"}); }));
    Outcome gone = probe(sandbox, {"lookup", "reg.greeting"});
    CHECK_THAT(gone, ExitsWith(3));
    CHECK(gone.out == "lookup reg.greeting: ENOENT\n");
  }
}

TEST_CASE("a tproc waiting for a name wakes as soon as another tproc publishes it") {
  Sandbox sandbox;
  REQUIRE_THAT(probe(sandbox, {"list"}), ExitsWith(0));  // the space is up: the waiter starts at once
  ChildProcess waiter = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "wait", "reg.late", "20000"});
  REQUIRE(waiter.wait_for_output("waiting reg.late"));
  std::this_thread::sleep_for(300ms);
  REQUIRE_FALSE(waiter.exited());  // really blocked

  ChildProcess publisher = start_publisher(sandbox, "worth the wait", {"reg.late"});
  Outcome woke = waiter.wait();
  REQUIRE_THAT(woke, ExitsWith(0));
  CHECK(woke.out.find("text=worth the wait") != std::string::npos);
  const long long published_at = std::stoll(word_after(publisher.out(), " t="));
  const long long woke_at = std::stoll(word_after(woke.out.substr(woke.out.find("woke ")), " t="));
  const long long latency_ms = (woke_at - published_at) / 1'000'000;
  INFO("woke " << latency_ms << " ms after the publication (the wait's timeout was 20 s)");
  CHECK(woke_at >= published_at);
  CHECK(latency_ms < 1000);  // woken by the publication, not by a timeout or a slow poll
}

TEST_CASE("publishing, readiness, withdrawal and lookups follow the documented error contract") {
  Sandbox sandbox;
  ChildProcess other = start_publisher(sandbox, "someone else's", {"reg.others"});
  Outcome checked = probe(sandbox, {"errors", "reg.others"});
  INFO(checked.out);
  CHECK_THAT(checked, ExitsWith(0));
  CHECK(lines_starting(checked.out, "FAIL").empty());
  CHECK(lines_starting(checked.out, "ok ").size() == 30);
  // The other tproc's endpoint survived every attempt on it.
  const std::optional<EndpointRow> row = find_endpoint(registry_ls(sandbox, kSpace), "reg.others");
  REQUIRE(row);
  CHECK(row->owner_pid == pid_of_holder(other));
}

TEST_CASE("a full registry refuses new names with ENOSPC and takes them again once some are withdrawn") {
  Sandbox sandbox;
  Outcome filled = probe(sandbox, {"fill", "reg.fill"});
  INFO(filled.out);
  CHECK_THAT(filled, ExitsWith(0));
  CHECK(filled.out.find("full after 3072: ENOSPC\n") != std::string::npos);
  CHECK(filled.out.find("publish after withdrawing = 0\n") != std::string::npos);
  CHECK(registry_ls(sandbox, kSpace).empty());
}

TEST_CASE("an owner killed with kill -9 loses its endpoints, and a waiter in tproc_wait_gone notices") {
  Sandbox sandbox;
  const std::vector<std::string> names = {"reg.k.a", "reg.k.b", "reg.k.c"};
  ChildProcess owner = start_publisher(sandbox, "doomed", names);
  const pid_t pid = pid_of_holder(owner);
  const std::vector<EndpointRow> before = registry_ls(sandbox, kSpace);
  for (const std::string& name : names) {
    const std::optional<EndpointRow> row = find_endpoint(before, name);
    REQUIRE(row);
    CHECK(row->owner_pid == pid);
    CHECK(row->state == "ready");
  }
  ChildProcess watcher = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "wait-gone", "reg.k.b", "20000"});
  REQUIRE(watcher.wait_for_output("watching reg.k.b"));
  CHECK(word_after(watcher.out(), " owner ") == std::to_string(pid));
  std::this_thread::sleep_for(200ms);
  REQUIRE_FALSE(watcher.exited());

  const long long killed_at = monotonic_ns();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  CHECK_THAT(owner.wait(), ExitsWith(128 + SIGKILL));
  Outcome noticed = watcher.wait();
  REQUIRE_THAT(noticed, ExitsWith(0));
  const long long gone_at = std::stoll(word_after(noticed.out.substr(noticed.out.find("gone ")), " t="));
  INFO("the watcher noticed " << (gone_at - killed_at) / 1'000'000 << " ms after the kill");
  CHECK((gone_at - killed_at) / 1'000'000 < 5000);

  CHECK(eventually([&] { return none_listed(sandbox, names); }));
  for (const std::string& name : names) CHECK_THAT(probe(sandbox, {"lookup", name}), ExitsWith(3));
  // The names are free again, for anyone.
  ChildProcess successor = start_publisher(sandbox, "reborn", {"reg.k.b"});
  const std::optional<EndpointRow> row = find_endpoint(registry_ls(sandbox, kSpace), "reg.k.b");
  REQUIRE(row);
  CHECK(row->owner_pid == pid_of_holder(successor));
}

TEST_CASE("a tproc killed -9 again and again in the middle of registry writes never wedges the registry") {
  Sandbox sandbox;
  ChildProcess keeper = start_publisher(sandbox, "still here", {"reg.keeper"});
  for (int round = 0; round < 8; ++round) {
    INFO("round " << round);
    // The churn role publishes and withdraws from several threads as fast as it can: a kill often
    // lands while it holds the registry's writer lock, which the daemon must take over and repair.
    ChildProcess churner = sandbox.start_tproc({"run", kSpace, program("registry_stress"), "churn"});
    REQUIRE(churner.wait_for_output("churning pid "));
    const pid_t pid = std::stoi(word_after(churner.out(), "churning pid "));
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 15 * round));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    CHECK_THAT(churner.wait(), ExitsWith(128 + SIGKILL));
    // Writers and readers carry on: publish, look up, withdraw (the probe's error contract).
    Outcome checked = probe(sandbox, {"errors", "reg.keeper"});
    CHECK_THAT(checked, ExitsWith(0));
    CHECK(eventually([&] {
      for (const EndpointRow& row : registry_ls(sandbox, kSpace))
        if (row.owner_pid == pid) return false;
      return true;
    }));
  }
  const std::vector<EndpointRow> rows = registry_ls(sandbox, kSpace);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "reg.keeper");
}

TEST_CASE("many tprocs with many threads share the registry, channels and heap, and an owner killed -9 in the middle loses, duplicates and leaks nothing") {
  // 3 workers x (3 sender threads + 2 receivers + a watcher), a victim with 3 threads, and the
  // coordinator. Worker 0 kills the victim with SIGKILL halfway through its messages.
  Sandbox sandbox;
  const std::string stress = program("registry_stress");
  const int workers = 3;
  ChildProcess coordinator =
      sandbox.start_tproc({"run", kSpace, stress, "coordinator", std::to_string(workers), "3", "6000", "150", "1000", "1000"});
  REQUIRE(coordinator.wait_for_output("board at "));
  CHECK(word_after(coordinator.out(), "baseline bytes=") == "0");
  ChildProcess victim = sandbox.start_tproc({"run", kSpace, stress, "victim"});
  std::vector<ChildProcess> worker_runs;
  for (int w = 0; w < workers; ++w) worker_runs.push_back(sandbox.start_tproc({"run", kSpace, stress, "worker", std::to_string(w)}));

  const Outcome killed = victim.wait(60s);
  CHECK_THAT(killed, ExitsWith(128 + SIGKILL));
  CHECK(killed.out.find("churning pid ") != std::string::npos);  // killed in its churn phase
  for (int w = 0; w < workers; ++w) {
    INFO("worker " << w);
    const Outcome finished = worker_runs[w].wait(90s);
    CHECK_THAT(finished, ExitsWith(0));
    CHECK(finished.out.find("noticed the victim gone") != std::string::npos);
  }
  const Outcome verdict = coordinator.wait(90s);
  INFO(verdict);
  CHECK_THAT(verdict, ExitsWith(0));
  CHECK(verdict.out.find("stress OK: 57000 messages delivered exactly once") != std::string::npos);
  CHECK(verdict.out.find("3 watchers saw the victim go") != std::string::npos);
  CHECK(verdict.out.find("heap after bytes=0 blocks=0") != std::string::npos);

  // From the outside too: nothing of the stress is left in the registry or the heap.
  CHECK(eventually([&] { return registry_ls(sandbox, kSpace).empty(); }));
  CHECK(heap_counter(sandbox, kSpace, "blocks_in_use") == 0);
  CHECK(heap_counter(sandbox, kSpace, "bytes_in_use") == 0);
}

TEST_CASE("endpoints a manifest declares are listed as declared and turn ready when the program calls tproc_ready") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "declares", program("registry_probe"),
                                       "args: [\"declared\", \"probe.declared\"]\n"
                                       "endpoints:\n"
                                       "  - {name: probe.declared, symbol: probe_endpoint, kind: probe.text}\n"
                                       "  - {name: probe.at-start, symbol: probe_endpoint, kind: probe.text, ready: auto}\n");
  ChildProcess app = sandbox.start_tproc({"run", kSpace, bundle}, {.keep_stdin_open = true});
  REQUIRE(app.wait_for_output("lookup = "));
  CHECK(app.out().find("state probe.declared declared\n") != std::string::npos);
  CHECK(app.out().find("lookup = EAGAIN\n") != std::string::npos);  // declared is not ready

  std::vector<EndpointRow> rows = registry_ls(sandbox, kSpace);
  std::optional<EndpointRow> declared = find_endpoint(rows, "probe.declared");
  std::optional<EndpointRow> at_start = find_endpoint(rows, "probe.at-start");
  REQUIRE(declared);
  REQUIRE(at_start);
  CHECK(declared->state == "declared");
  CHECK(at_start->state == "ready");
  CHECK(declared->kind == kind_text("probe.text"));
  CHECK(declared->owner_name == "declares");

  // A consumer waiting for it stays blocked while it is only declared...
  ChildProcess waiter = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "wait", "probe.declared", "20000"});
  REQUIRE(waiter.wait_for_output("waiting probe.declared"));
  std::this_thread::sleep_for(300ms);
  REQUIRE_FALSE(waiter.exited());

  // ...and wakes when the program says it is ready.
  app.write_stdin("go\n");
  REQUIRE(app.wait_for_output("holding pid "));
  CHECK(app.out().find("ready = 1\n") != std::string::npos);
  CHECK(word_after(app.out(), "state probe.declared ready address ") == word_after(app.out(), "symbol at "));
  Outcome woke = waiter.wait();
  CHECK_THAT(woke, ExitsWith(0));
  CHECK(woke.out.find("text=declared by the manifest") != std::string::npos);  // the symbol's contents
  declared = find_endpoint(registry_ls(sandbox, kSpace), "probe.declared");
  REQUIRE(declared);
  CHECK(declared->state == "ready");
  CHECK(declared->address == word_after(app.out(), "symbol at "));

  app.close_stdin();
  CHECK_THAT(app.wait(), ExitsWith(0));
  CHECK(eventually([&] { return registry_ls(sandbox, kSpace).empty(); }));
}

// ---- A stopped lock holder, exec out of the space ------------------------------------------

TEST_CASE("an owner killed while a stopped tproc holds the registry's writer lock still loses its endpoints") {
  // The daemon withdraws a dead tproc's endpoints under the registry's writer lock. A live tproc
  // can hold that lock for longer than the daemon's patience (20 ms): stopped by SIGSTOP, Ctrl-Z or
  // a debugger in the middle of tproc_publish, or just preempted on a busy machine. The endpoints
  // must still go once the lock is free; today the daemon logs EBUSY and never tries again, so the
  // name stays listed (and taken: republishing it fails with EEXIST) with an address into
  // memory that was reclaimed.
  Sandbox sandbox;
  ChildProcess owner = start_publisher(sandbox, "doomed", {"reg.doomed"});
  ChildProcess locker = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "stop-holding-lock"});
  REQUIRE(locker.wait_for_output("holding the writer lock pid "));
  const pid_t locker_pid = std::stoi(word_after(locker.out(), "holding the writer lock pid "));
  REQUIRE(::kill(pid_of_holder(owner), SIGKILL) == 0);
  CHECK_THAT(owner.wait(), ExitsWith(128 + SIGKILL));
  std::this_thread::sleep_for(300ms);  // longer than the daemon's patience
  REQUIRE(::kill(locker_pid, SIGCONT) == 0);
  CHECK_THAT(locker.wait(), ExitsWith(0));

  CHECK(eventually([&] { return none_listed(sandbox, {"reg.doomed"}); }, 5s));
  CHECK_THAT(probe(sandbox, {"publish-exit", "reborn", "reg.doomed"}), ExitsWith(0));
}

TEST_CASE("a bundle with declared endpoints starting while a stopped tproc holds the writer lock does not wedge the space") {
  // The daemon publishes a bundle's declared endpoints from the thread that performs every tproc's
  // mmap (for a PIE, when ld.so maps the executable). It must not wait there for a writer lock held
  // by a stopped tproc (issue 4: it used to, so every mmap of every tproc in the space hung until
  // the holder continued): it tries briefly and publishes from the event loop once the lock is free.
  Sandbox sandbox;
  REQUIRE_THAT(probe(sandbox, {"list"}), ExitsWith(0));
  const std::string bundle = bundle_of(sandbox, "declares", program("registry_probe"),
                                       "args: [\"declared\", \"probe.declared\"]\n"
                                       "endpoints:\n"
                                       "  - {name: probe.declared, symbol: probe_endpoint, kind: probe.text}\n"
                                       "  - {name: probe.at-start, symbol: probe_endpoint, kind: probe.text, ready: auto}\n");
  ChildProcess locker = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "stop-holding-lock"});
  REQUIRE(locker.wait_for_output("holding the writer lock pid "));
  const pid_t locker_pid = std::stoi(word_after(locker.out(), "holding the writer lock pid "));
  ChildProcess app = sandbox.start_tproc({"run", kSpace, bundle}, {.keep_stdin_open = true});

  // The app gets through ld.so and into main() (every mapping call of its start-up answered), and
  // so does an unrelated program, while the lock is still held.
  CHECK(app.wait_for_output("lookup = ", 5s));
  CHECK(app.out().find("state probe.declared ENOENT\n") != std::string::npos);  // not published yet
  Outcome unrelated;
  CHECK_NOTHROW(unrelated = sandbox.tproc({"run", kSpace, program("exit_with"), "0", "still serving"}, {}, 5s));
  CHECK_THAT(unrelated, ExitsWith(0));
  CHECK(none_listed(sandbox, {"probe.declared", "probe.at-start"}));

  // Once the holder lets go, the endpoints appear with the states the manifest gives them...
  REQUIRE(::kill(locker_pid, SIGCONT) == 0);
  CHECK_THAT(locker.wait(), ExitsWith(0));
  std::optional<EndpointRow> declared, at_start;
  CHECK(eventually([&] {
    const std::vector<EndpointRow> rows = registry_ls(sandbox, kSpace);
    declared = find_endpoint(rows, "probe.declared");
    at_start = find_endpoint(rows, "probe.at-start");
    return declared && at_start;
  }, 5s));
  REQUIRE(declared);
  REQUIRE(at_start);
  CHECK(declared->state == "declared");
  CHECK(at_start->state == "ready");
  CHECK(declared->owner_name == "declares");

  // ...at the symbol's address, and tproc_ready() makes the declared one ready.
  app.write_stdin("go\n");
  REQUIRE(app.wait_for_output("holding pid "));
  CHECK(app.out().find("ready = 1\n") != std::string::npos);
  CHECK(word_after(app.out(), "state probe.declared ready address ") == word_after(app.out(), "symbol at "));
  app.close_stdin();
  CHECK_THAT(app.wait(), ExitsWith(0));
  CHECK(eventually([&] { return none_listed(sandbox, {"probe.declared", "probe.at-start"}); }, 5s));
}

TEST_CASE("a bundle that ends before the writer lock frees gets nothing published") {
  // What could not be published while a stopped tproc held the lock is dropped when the program
  // ends: nothing appears for it afterwards, and its names stay free.
  Sandbox sandbox;
  REQUIRE_THAT(probe(sandbox, {"list"}), ExitsWith(0));
  const std::string bundle = bundle_of(sandbox, "short", program("registry_probe"),
                                       "args: [\"list\"]\n"
                                       "endpoints: [{name: probe.short, symbol: probe_endpoint, kind: probe.text, ready: auto}]\n");
  ChildProcess locker = sandbox.start_tproc({"run", kSpace, program("registry_probe"), "stop-holding-lock"});
  REQUIRE(locker.wait_for_output("holding the writer lock pid "));
  const pid_t locker_pid = std::stoi(word_after(locker.out(), "holding the writer lock pid "));
  Outcome short_lived;
  CHECK_NOTHROW(short_lived = sandbox.tproc({"run", kSpace, bundle}, {}, 5s));
  CHECK_THAT(short_lived, ExitsWith(0));

  REQUIRE(::kill(locker_pid, SIGCONT) == 0);
  CHECK_THAT(locker.wait(), ExitsWith(0));
  std::this_thread::sleep_for(300ms);  // several of the daemon's retries
  CHECK(none_listed(sandbox, {"probe.short"}));
  CHECK_THAT(probe(sandbox, {"publish-exit", "reborn", "probe.short"}), ExitsWith(0));
}

TEST_CASE("a tproc that execs out of the space loses its endpoints, as if it had exited") {
  // After an exec the process keeps its pid but leaves the space: the daemon reclaims what it
  // mapped (its malloc heap included) at once, yet its endpoints stay listed as ready until the
  // exec'd program exits, pointing at reclaimed memory (a lookup reads whatever is there now).
  Sandbox sandbox;
  ChildProcess execer = sandbox.start_tproc(
      {"run", kSpace, program("registry_probe"), "publish-exec", "exec text", "reg.exec", program("sleeper"), "30"});
  REQUIRE(execer.wait_for_output("sleeping"));  // the exec'd program runs
  CHECK(eventually([&] { return none_listed(sandbox, {"reg.exec"}); }, 5s));
}

TEST_CASE("an exited tproc's heap pages go to the next tproc: twenty reruns carve nothing") {
  // Each run allocates 3000 blocks of 64 B (three pages) and frees them. The daemon releases an
  // exited tproc's caches before its client hears of the exit, so the next run adopts the pages;
  // a page left owned by the dead tproc would make every run carve one more.
  Sandbox sandbox;
  const std::string churn = program("heap_usage");
  const Outcome first = sandbox.tproc({"run", kSpace, churn, "3000", "64"});
  REQUIRE_THAT(first, ExitsWith(0));
  const std::string carved = word_after(first.out, "bytes_carved=");
  REQUIRE(carved != "0");
  for (int run = 0; run < 20; ++run) {
    INFO("run " << run);
    const Outcome again = sandbox.tproc({"run", kSpace, churn, "3000", "64"});
    REQUIRE_THAT(again, ExitsWith(0));
    CHECK(word_after(again.out, "blocks_in_use=") == "0");
    CHECK(word_after(again.out, "bytes_carved=") == carved);
  }
}
