// What the space lives on (issue 13 item 7): no tproc may unmap, remap, move or re-protect the
// vDSO and vvar pages (valgrind's memcheck and a ctypes munmap of [vdso] used to make the daemon
// and every sibling segfault at their next clock_gettime), and a daemon that does crash never goes
// unnoticed: its log says why, `space ls` shows it dead, and the next `tproc run` says it started
// a new one.

#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("munmap, mremap, mprotect and mmap over the vDSO are refused, and a sibling keeps calling clock_gettime") {
  Sandbox sandbox;
  const std::string space = "vdso";
  ChildProcess sibling = sandbox.start_tproc({"run", "--name", "ticker", space, program("clock_loop"), "3"});
  REQUIRE(sibling.wait_for_output("ticking\n"));
  const pid_t daemon = sandbox.daemon_pid(space);

  Outcome attack = sandbox.tproc({"run", space, program("unmap_vdso")});
  INFO(attack);
  CHECK_THAT(attack, ExitsWith(0));
  for (const char* call : {"mprotect [vdso]", "mremap [vdso]", "mmap MAP_FIXED [vdso]", "munmap [vvar]", "munmap [vdso]"})
    CHECK(contains(attack.out, std::string(call) + ": refused (Operation not permitted)"));
  CHECK(contains(attack.out, "clock_gettime works"));

  // The sibling ran its clock loop to the end, and the daemon still serves the space.
  Outcome ticked = sibling.wait();
  CHECK_THAT(ticked, ExitsWith(0));
  CHECK(contains(ticked.out, "ticked "));
  CHECK(sandbox.daemon_pid(space) == daemon);
  CHECK_THAT(sandbox.tproc({"run", space, program("exit_with"), "3"}), ExitsWith(3));
  // The daemon's log names what was refused.
  const std::string log = read_file(sandbox.home_dir() / "spaces" / space / "daemon.log");
  CHECK(contains(log, "refused munmap"));
  CHECK(contains(log, "[vdso]"));

  // Run directly, the same program does unmap its vDSO (and dies of it): the test would notice a
  // space that let the calls through.
  Outcome direct = sandbox.run_direct({program("unmap_vdso")});
  CHECK(direct.status != 0);
  CHECK(contains(direct.out, "munmap [vdso]: done"));
}

TEST_CASE("a daemon that crashes says why in its log, space ls shows it dead, the next run says it started a new one") {
  Sandbox sandbox;
  const std::string space = "crashing";
  REQUIRE_THAT(sandbox.tproc({"run", space, program("exit_with"), "0"}), ExitsWith(0));
  const pid_t daemon = sandbox.daemon_pid(space);
  // A fault in the daemon, as a corrupted space would cause (SIGSEGV sent from outside takes the
  // same path through the daemon's handler).
  REQUIRE(::kill(daemon, SIGSEGV) == 0);
  REQUIRE(eventually([&] { return !process_alive(daemon); }));

  const fs::path log = sandbox.home_dir() / "spaces" / space / "daemon.log";
  CHECK(contains(read_file(log), "daemon of space 'crashing' (pid " + std::to_string(daemon)));
  CHECK(contains(read_file(log), "crashed: SIGSEGV"));
  auto spaces = sandbox.spaces();
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].state == "dead");

  Outcome next = sandbox.tproc({"run", space, program("exit_with"), "4"});
  CHECK_THAT(next, ExitsWith(4));
  CHECK(contains(next.err, "tproc: space 'crashing': its daemon had died (see " + log.native() + "); started a new one\n"));
  CHECK(sandbox.daemon_pid(space) != daemon);
  // Only once: the space is up again.
  Outcome after = sandbox.tproc({"run", space, program("exit_with"), "0"});
  CHECK_THAT(after, ExitsWith(0));
  CHECK(after.err.empty());
}
