// tproc stats / top / space ls memory (issue 15): what each tproc of a space uses, and memory
// attributed by ownership so the parts add up to the space's RSS.

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

/// `tproc stats SPACE --no-stream --format json`, parsed.
Json stats_of(Sandbox& sandbox, const std::string& space) {
  Outcome outcome = sandbox.tproc({"stats", space, "--no-stream", "--format", "json"});
  REQUIRE_THAT(outcome, ExitsWith(0));
  return Json::parse(outcome.out);
}

const Json& row_of(const Json& stats, const std::string& id) {
  for (const Json& row : stats.at("tprocs").items())
    if (row.at("id").text() == id) return row;
  FAIL("no row for tproc " << id << " in " << stats.source());
  throw;
}

/// Waits until tproc `id` of `space` has printed `line` in its log.
void wait_for_log(Sandbox& sandbox, const std::string& space, const std::string& id, const std::string& line) {
  REQUIRE(eventually([&] { return sandbox.tproc({"logs", space, id}).out.find(line) != std::string::npos; }));
}

}  // namespace

TEST_CASE("stats attributes each tproc's memory to it: one holding 200 MiB and one 10 MiB, each within 5%") {
  Sandbox sandbox;
  const std::string big = sandbox.detach({"mem", program("canary"), "200"});
  const std::string small = sandbox.detach({"mem", program("canary"), "10"});
  wait_for_log(sandbox, "mem", big, "ready");
  // The same program holding nothing: what canary itself takes (its code, libc's pages, its stack),
  // the same in each of them, since each maps its own.
  const std::string empty = sandbox.detach({"mem", program("canary"), "0"});
  wait_for_log(sandbox, "mem", small, "ready");
  wait_for_log(sandbox, "mem", empty, "ready");

  const Json stats = stats_of(sandbox, "mem");
  const double own = row_of(stats, empty).at("rss_bytes").number();
  const double big_rss = row_of(stats, big).at("rss_bytes").number() - own;
  const double small_rss = row_of(stats, small).at("rss_bytes").number() - own;
  INFO(stats.source());
  CHECK(own > 0);
  CHECK(big_rss >= 200 * kMiB * 0.95);
  CHECK(big_rss <= 200 * kMiB * 1.05);
  CHECK(small_rss >= 10 * kMiB * 0.95);
  CHECK(small_rss <= 10 * kMiB * 1.05);
  CHECK(row_of(stats, big).at("mapped_bytes").number() >= big_rss);

  // The parts add up to the whole: every tproc, the registry, the space heap and the daemon.
  const Json& space = stats.at("space");
  double parts = space.at("registry_rss_bytes").number() + space.at("heap_rss_bytes").number() +
                 space.at("daemon_rss_bytes").number();
  for (const Json& row : stats.at("tprocs").items()) parts += row.at("rss_bytes").number();
  CHECK(std::fabs(parts - space.at("rss_bytes").number()) <= space.at("rss_bytes").number() * 0.03);
  // ...and the whole is what the kernel counts for the space's one mm.
  const double kernel_rss = rss_kib(sandbox.daemon_pid("mem")) * 1024.0;
  CHECK(std::fabs(space.at("rss_bytes").number() - kernel_rss) <= kernel_rss * 0.03);

  // space ls shows the space's memory too.
  Outcome listed = sandbox.tproc({"space", "ls", "--format", "json"});
  const Json spaces = Json::parse(listed.out);
  REQUIRE(spaces.items().size() == 1);
  CHECK(spaces.items()[0].at("rss_bytes").number() >= 210 * kMiB);  // at least what the two canaries hold
  CHECK(sandbox.tproc({"space", "ls"}).out.find("MEMORY") != std::string::npos);
}

TEST_CASE("stats counts each tproc's threads, descriptors and CPU time") {
  Sandbox sandbox;
  const std::string spinner = sandbox.detach({"busy", program("pause_probe"), "tick"});
  const std::string sleeper = sandbox.detach({"busy", program("sleeper"), "60"});
  wait_for_log(sandbox, "busy", sleeper, "sleeping");
  const Json stats = stats_of(sandbox, "busy");
  INFO(stats.source());
  for (const std::string& id : {spinner, sleeper}) {
    const Json& row = row_of(stats, id);
    CHECK(row.at("threads").number() == 1);
    CHECK(row.at("fds").number() == 3);  // stdin, stdout and stderr of a detached run
    CHECK(row.at("state").str() == "running");
  }
  CHECK(row_of(stats, sleeper).at("cpu_percent").number() < 5);

  // The table shows the same rows, and the space's own memory under them.
  Outcome table = sandbox.tproc({"stats", "busy", "--no-stream"});
  REQUIRE_THAT(table, ExitsWith(0));
  CHECK(table.out.find("CPU %") != std::string::npos);
  CHECK(table.out.find("SPACE RSS") != std::string::npos);
  CHECK(table.out.find("space heap") != std::string::npos);
}

TEST_CASE("stats counts the calls the mapping filters sent the daemon, the same for the same program each run") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "calls", program("exit_with"), "0"}), ExitsWith(0));  // starts the daemon
  auto space_counter = [&](const char* key) { return stats_of(sandbox, "calls").at("space").at(key).number(); };
  const double before = space_counter("notified_calls");
  const double switches_before = space_counter("daemon_context_switches");
  const double ended_before = space_counter("ended_tprocs_context_switches");
  REQUIRE_THAT(sandbox.tproc({"run", "calls", program("exit_with"), "0"}), ExitsWith(0));
  const double once = space_counter("notified_calls");
  REQUIRE_THAT(sandbox.tproc({"run", "calls", program("exit_with"), "0"}), ExitsWith(0));
  const double twice = space_counter("notified_calls");
  // ld.so's mmaps of libc at least; the same calls each time (nothing else runs in the space).
  CHECK(once - before >= 1);
  CHECK(twice - once == once - before);
  CHECK(space_counter("daemon_context_switches") > switches_before);
  CHECK(space_counter("ended_tprocs_context_switches") > ended_before);

  // A program that maps more is counted more: map_lots mallocs 8 blocks of 4 MiB (an mmap each).
  REQUIRE_THAT(sandbox.tproc({"run", "calls", program("map_lots"), program("exit_with")}), ExitsWith(0));
  CHECK(space_counter("notified_calls") - twice >= (once - before) + 8);

  // A space without reclaim has no filter: nothing is notified.
  REQUIRE_THAT(sandbox.tproc({"run", "plain", program("exit_with"), "0"}, {.extra_env = {"TPROC_RECLAIM=off"}}), ExitsWith(0));
  CHECK(stats_of(sandbox, "plain").at("space").at("notified_calls").number() == 0);
}

TEST_CASE("top refreshes a sorted table as often as asked") {
  Sandbox sandbox;
  const std::string big = sandbox.detach({"--name", "big", "top", program("canary"), "32"});
  const std::string small = sandbox.detach({"--name", "small", "top", program("canary"), "1"});
  wait_for_log(sandbox, "top", big, "ready");
  wait_for_log(sandbox, "top", small, "ready");
  Outcome outcome = sandbox.tproc({"top", "top", "--sort", "mem", "-d", "0.2", "-n", "2"});
  REQUIRE_THAT(outcome, ExitsWith(0));
  // Two tables, each with the bigger one first.
  size_t tables = 0;
  const std::string text = "\n" + outcome.out;
  for (size_t at = text.find("\nID "); at != std::string::npos; at = text.find("\nID ", at + 1)) {
    ++tables;
    CHECK(text.find("big", at) < text.find("small", at));
  }
  CHECK(tables == 2);
}

TEST_CASE("stats and top refuse bad input with one line") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"stats", "nowhere", "--no-stream"}), IsOneLineError().naming("nowhere"));
  CHECK_THAT(sandbox.tproc({"stats", "bad/name", "--no-stream"}), IsOneLineError().naming("bad/name"));
  CHECK_THAT(sandbox.tproc({"top", "x", "--sort", "colour"}), IsOneLineError().naming("colour"));
  CHECK_THAT(sandbox.tproc({"top", "x", "-d", "0"}), IsOneLineError().naming("--delay"));
  CHECK_THAT(sandbox.tproc({"top", "x", "-n", "many"}), IsOneLineError().naming("many"));
  CHECK_THAT(sandbox.tproc({"stats", "x", "--format", "yaml"}), IsOneLineError().naming("yaml"));
}
