// Seeing inside a space (issue 15): `tproc maps` shows the ranges one tproc owns, as
// /proc/PID/maps would if the program had an address space of its own.

#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// One line of `tproc maps`: its range and its path (empty when anonymous).
struct MapsLine {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string path;
};

/// `tproc maps SPACE ID`, parsed; fails the test unless it exits 0 with /proc/PID/maps lines.
std::vector<MapsLine> maps_of(Sandbox& sandbox, const std::string& space, const std::string& id) {
  Outcome listed = sandbox.tproc({"maps", space, id});
  REQUIRE_THAT(listed, ExitsWith(0));
  std::vector<MapsLine> found;
  for (const std::string& line : lines(listed.out)) {
    MapsLine entry;
    int path_at = 0;
    char perms[8];
    INFO(line);
    REQUIRE(std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %*x %*s %*u %n", &entry.begin, &entry.end, perms,
                        &path_at) == 3);
    REQUIRE(entry.begin < entry.end);
    entry.path = line.substr(static_cast<size_t>(path_at));
    found.push_back(entry);
  }
  return found;
}

bool lists_path_ending(const std::vector<MapsLine>& maps, const std::string& tail) {
  for (const MapsLine& line : maps)
    if (line.path.size() >= tail.size() && line.path.compare(line.path.size() - tail.size(), tail.size(), tail) == 0)
      return true;
  return false;
}

}  // namespace

TEST_CASE("maps of a tproc lists its executable and its libraries, and none of a sibling's") {
  Sandbox sandbox;
  const std::string target = sandbox.detach({"s", program("debug_target")});
  const std::string sibling = sandbox.detach({"s", program("sleeper"), "60"});
  // debug_target has run its ld.so once it has ticked.
  const auto log = sandbox.home_dir() / "spaces" / "s" / "logs" / (target + ".log");
  REQUIRE(eventually([&] { return contains(read_file(log), "tick 1\n"); }));

  const std::vector<MapsLine> mine = maps_of(sandbox, "s", target);
  // The sibling prints nothing: it has run its ld.so once its libc is mapped.
  std::vector<MapsLine> theirs;
  CHECK(eventually([&] { return lists_path_ending(theirs = maps_of(sandbox, "s", sibling), "/libc.so.6"); }));
  CHECK(lists_path_ending(mine, "/debug_target"));
  CHECK(lists_path_ending(mine, "/libtproc_test_bar.so"));  // mapped by its own ld.so
  CHECK(lists_path_ending(mine, "/libtproc_test_foo.so"));  // ...and what that one needs
  CHECK(lists_path_ending(mine, "/libc.so.6"));
  CHECK(lists_path_ending(mine, "/ld-linux-x86-64.so.2"));  // mapped by the daemon's loader
  CHECK_FALSE(lists_path_ending(mine, "/sleeper"));
  CHECK(lists_path_ending(theirs, "/sleeper"));
  CHECK(lists_path_ending(theirs, "/libc.so.6"));  // its own copy of libc, at its own address
  CHECK_FALSE(lists_path_ending(theirs, "/debug_target"));
  CHECK_FALSE(lists_path_ending(theirs, "/libtproc_test_bar.so"));
  // No range is listed for both: each part of the space has one owner.
  for (const MapsLine& a : mine)
    for (const MapsLine& b : theirs) {
      INFO(a.path << " and " << b.path);
      CHECK((a.end <= b.begin || b.end <= a.begin));
    }
  // Each tproc's view is a small part of the kernel's, which shows the whole space.
  CHECK(mine.size() + theirs.size() < mapping_count(sandbox.daemon_pid("s")));
}

TEST_CASE("maps refuses an unknown id, an exited tproc and a space that does not run, in one line") {
  Sandbox sandbox;
  const std::string sleeper = sandbox.detach({"s", program("sleeper"), "60"});
  CHECK_THAT(sandbox.tproc({"maps", "s", "99"}), IsOneLineError().naming("99").because_of({"no tproc"}));
  CHECK_THAT(sandbox.tproc({"maps", "nosuch", "1"}), IsOneLineError().naming("nosuch").because_of({"no space"}));
  CHECK_THAT(sandbox.tproc({"maps", "s"}), IsOneLineError().naming("maps").because_of({"needs"}));
  REQUIRE_THAT(sandbox.tproc({"kill", "s", sleeper}), ExitsWith(0));
  REQUIRE(eventually([&] { return sandbox.tproc_info("s", sleeper, true).state != "running"; }));
  CHECK_THAT(sandbox.tproc({"maps", "s", sleeper}), IsOneLineError().naming("tproc " + sleeper).because_of({"exited"}));
  // The space is undisturbed: its daemon still answers.
  CHECK_THAT(sandbox.tproc({"ps", "s"}), ExitsWith(0));
}
