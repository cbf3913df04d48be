// A tproc is its own process: it starts with only stdio open, a clean signal state and its
// caller's core limit (a core holds the whole space), and its crash harms no sibling and not the
// daemon.

#include <catch2/catch.hpp>

#include <elf.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

/// Sets this process's soft RLIMIT_CORE for a scope (the hard limit when `soft` is absent), as
/// `ulimit -c` would before a `tproc run`; the caller's limit is what the tproc must get.
class CoreLimit {
 public:
  explicit CoreLimit(std::optional<rlim_t> soft = std::nullopt) {
    ::getrlimit(RLIMIT_CORE, &saved_);
    rlimit set = saved_;
    set.rlim_cur = soft.value_or(saved_.rlim_max);
    ::setrlimit(RLIMIT_CORE, &set);
  }
  ~CoreLimit() { ::setrlimit(RLIMIT_CORE, &saved_); }
  CoreLimit(const CoreLimit&) = delete;
  CoreLimit& operator=(const CoreLimit&) = delete;

  /// What sigmask_check prints for the hard limit.
  std::string hard_text() const {
    return saved_.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(saved_.rlim_max);
  }

 private:
  rlimit saved_{};
};

/// The ELF type of the file at `path` (ET_CORE for a core dump), or -1 if it is not ELF.
int elf_type(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!file.read(reinterpret_cast<char*>(&header), sizeof header)) return -1;
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return -1;
  return header.e_type;
}

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

TEST_CASE("a tproc's core limit is its caller's: 0 by default, as raised by ulimit -c") {
  SECTION("off") {
    CoreLimit off(0);
    Sandbox sandbox;
    Outcome checked = sandbox.tproc({"run", "iso", program("sigmask_check")});
    REQUIRE_THAT(checked, ExitsWith(0));
    CHECK(lines(checked.out).at(2) == "RLIMIT_CORE: 0");
  }
  SECTION("raised") {
    CoreLimit raised;
    Sandbox sandbox;
    Outcome checked = sandbox.tproc({"run", "iso", program("sigmask_check")});
    REQUIRE_THAT(checked, ExitsWith(0));
    CHECK(lines(checked.out).at(2) == "RLIMIT_CORE: " + raised.hard_text());
  }
}

TEST_CASE("with ulimit -c raised, a crashing tproc leaves a core in its cwd and its sibling runs on") {
  if (read_file("/proc/sys/kernel/core_pattern") != "core\n") {
    WARN("skipped: kernel.core_pattern is not \"core\", so the core is not written to the cwd");
    return;
  }
  CoreLimit raised;
  Sandbox sandbox;
  ChildProcess sibling = sandbox.start_tproc({"run", "iso", program("sleeper"), "300"});
  REQUIRE(sibling.wait_for_output("sleeping\n"));
  const pid_t daemon = sandbox.daemon_pid("iso");
  const std::filesystem::path dir = sandbox.root() / "crash-here";
  std::filesystem::create_directory(dir);

  CHECK_THAT(sandbox.tproc({"run", "iso", program("crash"), "nullderef"}, {.cwd = dir.string()}),
             ExitsWith(128 + SIGSEGV));
  CHECK(elf_type(dir / "core") == ET_CORE);
  CHECK_FALSE(sibling.exited());
  CHECK(sandbox.daemon_pid("iso") == daemon);
  CHECK(process_alive(daemon));
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
