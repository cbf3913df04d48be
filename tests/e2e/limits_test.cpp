// A tproc that exceeds a limit its manifest sets meets the system's "no" at that limit, and the
// space, its daemon and a running sibling carry on.

#include <catch2/catch.hpp>

#include <unistd.h>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Runs exceed_limit MODE from a bundle with `limits` and checks a detached sibling lives on.
Outcome exceed(Sandbox& sandbox, const std::string& mode, const std::string& limits) {
  const std::string sibling = sandbox.detach({"--name", "sibling", "s", program("sleeper"), "30"});
  const std::string bundle = bundle_of(sandbox, "greedy", program("exceed_limit"), "limits:\n" + limits);
  Outcome run = sandbox.tproc({"run", "s", bundle, mode});
  CHECK(sandbox.tproc_info("s", "sibling").state == "running");
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "5"}), ExitsWith(5));
  CHECK_THAT(sandbox.tproc({"stop", "-t", "1", "s", sibling}), ExitsWith(0));
  return run;
}

}  // namespace

TEST_CASE("a tproc that opens more files than its manifest allows gets EMFILE at the limit") {
  Sandbox sandbox;
  Outcome run = exceed(sandbox, "files", "  open_files: 32\n");
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "open files: 29 more, then EMFILE\n");  // 0, 1 and 2 are open already
}

TEST_CASE("a tproc that maps more than its manifest's address_space gets ENOMEM at the limit") {
  // The kernel's RLIMIT_AS would count the whole shared space: the daemon counts what the tproc
  // itself mapped (runtime, ld.so and libc included), so the program reaches close to the limit.
  Sandbox sandbox;
  Outcome run = exceed(sandbox, "memory", "  address_space: 256M\n");
  REQUIRE_THAT(run, ExitsWith(0));
  INFO(run.out);
  CHECK(contains(run.out, "then ENOMEM"));
  const int mapped = std::stoi(run.out.substr(run.out.find(": ") + 2));
  CHECK(mapped >= 192);
  CHECK(mapped <= 256);
}

TEST_CASE("a tproc that forks more processes than its manifest allows gets EAGAIN at the limit") {
  // RLIMIT_NPROC counts the user's processes, and root is exempt from it.
  if (::geteuid() == 0) {
    WARN("skipped: RLIMIT_NPROC does not apply to root");
    return;
  }
  Sandbox sandbox;
  Outcome run = exceed(sandbox, "processes", "  processes: 1\n");
  CHECK(contains(run.out, "then EAGAIN"));
}
