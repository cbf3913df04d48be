// A tproc that exceeds a limit its manifest sets meets the system's "no" at that limit, and the
// space, its daemon and a running sibling carry on.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

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

TEST_CASE("a tproc that forks more processes than its manifest allows gets EAGAIN at the limit, also from a root daemon") {
  Sandbox sandbox;
  if (::geteuid() != 0) {
    // RLIMIT_NPROC counts all of the user's processes: only that the limit binds is certain.
    Outcome run = exceed(sandbox, "processes", "  processes: 1\n");
    CHECK(contains(run.out, "then EAGAIN"));
    return;
  }
  // Root is exempt from RLIMIT_NPROC (300 forks passed a limit of 64): the daemon puts the tproc
  // in a pids cgroup of its own, which counts the tproc itself and everything it starts.
  Outcome run = exceed(sandbox, "processes", "  processes: 64\n");
  INFO(run);
  CHECK(run.out == "forked: 63, then EAGAIN\n");
  // The tproc's cgroup goes with it; the daemon's own directory stays while it runs.
  const pid_t daemon = sandbox.daemon_pid("s");
  std::string directory;
  for (std::ifstream mounts("/proc/self/mounts"); mounts;) {
    std::string device, where, type, options, rest;
    mounts >> device >> where >> type >> options;
    std::getline(mounts, rest);
    if (type == "cgroup" && ("," + options + ",").find(",pids,") != std::string::npos) directory = where;
  }
  REQUIRE_FALSE(directory.empty());
  bool found_daemon_directory = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, std::filesystem::directory_options::skip_permission_denied)) {
    if (entry.path().filename() != "tproc-s-" + std::to_string(daemon)) continue;
    found_daemon_directory = true;
    CHECK(eventually([&] {
      size_t cgroups = 0;
      for (const auto& inside : std::filesystem::directory_iterator(entry.path())) cgroups += inside.is_directory();
      return cgroups == 0;
    }));
    break;
  }
  CHECK(found_daemon_directory);
}
