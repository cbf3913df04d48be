// A tproc is its own process: it starts with only stdio open, a clean signal state and core
// dumps off (a core would hold the whole space), and its crash harms no sibling and not the
// daemon.

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

/// Raises this process's soft RLIMIT_CORE to its hard limit for a scope, so that a daemon started
/// inside it would hand a non-zero limit to its programs unless it turns core dumps off.
class CoreLimitRaised {
 public:
  CoreLimitRaised() {
    ::getrlimit(RLIMIT_CORE, &saved_);
    rlimit raised = saved_;
    raised.rlim_cur = saved_.rlim_max;
    ::setrlimit(RLIMIT_CORE, &raised);
  }
  ~CoreLimitRaised() { ::setrlimit(RLIMIT_CORE, &saved_); }
  CoreLimitRaised(const CoreLimitRaised&) = delete;
  CoreLimitRaised& operator=(const CoreLimitRaised&) = delete;

 private:
  rlimit saved_{};
};

}  // namespace

TEST_CASE("a tproc sees only descriptors 0, 1 and 2") {
  Sandbox sandbox;
  // A sibling makes the daemon hold more (its pidfd, its client's stdio).
  ChildProcess sibling = sandbox.start_tproc({"run", "iso", program("sleeper"), "300"});
  REQUIRE(sibling.wait_for_output("sleeping\n"));

  Outcome listed = sandbox.tproc({"run", "iso", program("list_fds")});
  REQUIRE_THAT(listed, ExitsWith(0));
  CHECK(listed.out == "0\n1\n2\n");
}

TEST_CASE("a tproc starts with an empty signal mask") {
  Sandbox sandbox;
  Outcome checked = sandbox.tproc({"run", "iso", program("sigmask_check")});
  REQUIRE_THAT(checked, ExitsWith(0));
  CHECK(lines(checked.out).at(0) == "SigBlk: 0000000000000000");
}

TEST_CASE("a tproc ignores no signal that its caller did not ignore") {
  Sandbox sandbox;  // the harness starts `tproc run` with every disposition at its default...
  Outcome checked = sandbox.tproc({"run", "iso", program("sigmask_check")});
  REQUIRE_THAT(checked, ExitsWith(0));
  const std::string line = lines(checked.out).at(1);
  REQUIRE(line.rfind("SigIgn: ", 0) == 0);
  // ...except glibc's internal signals 32 and 33 (SIGCANCEL, SIGSETXID), which posix_spawn
  // leaves ignored in every child and glibc in the program manages by itself.
  const uint64_t glibc_internal = (uint64_t{1} << (32 - 1)) | (uint64_t{1} << (33 - 1));
  const uint64_t ignored = std::stoull(line.substr(8), nullptr, 16) & ~glibc_internal;
  INFO(line);
  CHECK(ignored == 0);
}

TEST_CASE("a tproc runs with core dumps off") {
  CoreLimitRaised raised;
  Sandbox sandbox;
  Outcome checked = sandbox.tproc({"run", "iso", program("sigmask_check")});
  REQUIRE_THAT(checked, ExitsWith(0));
  CHECK(lines(checked.out).at(2) == "RLIMIT_CORE: 0");
}

TEST_CASE("exit_group from a second thread ends the tproc with that status") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"run", "iso", program("crash"), "thread_exit_group"}), ExitsWith(7));
}

TEST_CASE("a crashing tproc leaves its sibling, the sibling's memory and the daemon intact") {
  Sandbox sandbox;
  const std::string text = "held by a sibling while others crash around it";
  ChildProcess sibling = sandbox.start_tproc(
      {"run", "--name", "sibling", "iso", sample("sharedstr", "allocstr"), text},
      {.keep_stdin_open = true});
  std::optional<std::string> address = sibling.first_line();
  REQUIRE(address);
  const pid_t daemon = sandbox.daemon_pid("iso");
  auto held = sandbox.find_tproc("iso", "sibling");
  REQUIRE(held);

  struct Crash {
    const char* mode;
    int status;
  };
  for (Crash crash : {Crash{"nullderef", 128 + SIGSEGV}, Crash{"abort", 128 + SIGABRT},
                      Crash{"stackoverflow", 128 + SIGSEGV}, Crash{"thread_exit_group", 7}}) {
    INFO("crash " << crash.mode);
    CHECK_THAT(sandbox.tproc({"run", "iso", program("crash"), crash.mode}),
               ExitsWith(crash.status));
    CHECK_FALSE(sibling.exited());
    CHECK(process_alive(held->pid));
    CHECK(sandbox.daemon_pid("iso") == daemon);
    Outcome read = sandbox.tproc({"run", "iso", sample("sharedstr", "printstr"), *address});
    CHECK_THAT(read, ExitsWith(0));
    CHECK(read.out == text + "\n");
  }

  sibling.close_stdin();
  CHECK_THAT(sibling.wait(), ExitsWith(0));
  CHECK(process_alive(daemon));
}
