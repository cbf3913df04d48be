// tproc_spawn() (libtproc, issue 18): a program in a space starts another program in the same
// space, as posix_spawn would start a process, with no client process and no exec. What the new
// tproc gets (argv, environment, descriptors after the file actions, working directory, signal
// mask), how its status comes back, the PATH search of tproc_spawnp(), and the errors: each
// returned as posix_spawn returns them, never a hang, and the space unharmed.
//
// The program under test is tests/programs/spawner.c: it spawns what its command line says and
// prints "spawned pid P id I", then "exited N" or "killed S", or "spawn failed: ENAME".

#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kSpace = "spawns";

/// `tproc run kSpace spawner SPAWNER_ARGS...` to completion.
Outcome spawner(Sandbox& sandbox, std::vector<std::string> args, const SpawnOptions& options = {}) {
  args.insert(args.begin(), {"run", kSpace, program("spawner")});
  return sandbox.tproc(args, options);
}

bool has_line(const std::string& text, const std::string& line) {
  for (const std::string& each : lines(text))
    if (each == line) return true;
  return false;
}

}  // namespace

TEST_CASE("a tproc spawns a program into its space with the argv and environment it gives, and reaps its status") {
  Sandbox sandbox;
  SECTION("argv as given, each word intact") {
    Outcome outcome = spawner(sandbox, {"--", program("print_args"), "one", "two words", ""});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "argc=4"));
    CHECK(has_line(outcome.out, "[0]=" + program("print_args")));
    CHECK(has_line(outcome.out, "[1]=one"));
    CHECK(has_line(outcome.out, "[2]=two words"));
    CHECK(has_line(outcome.out, "[3]="));
    CHECK(has_line(outcome.out, "exited 0"));
  }
  SECTION("the environment given is the whole environment") {
    Outcome outcome = spawner(sandbox, {"-e", "GREETING=hello", "--", program("print_env_cwd"), "GREETING"},
                              {.extra_env = {"OURS=not passed"}});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "GREETING=hello"));
    Outcome ours = spawner(sandbox, {"-e", "GREETING=hello", "--", program("print_env_cwd"), "OURS"},
                           {.extra_env = {"OURS=not passed"}});
    CHECK(has_line(ours.out, "OURS unset"));
  }
  SECTION("without an environment, the program gets the caller's") {
    Outcome outcome = spawner(sandbox, {"--", program("print_env_cwd"), "OURS"}, {.extra_env = {"OURS=inherited"}});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "OURS=inherited"));
    CHECK(has_line(outcome.out, "cwd=" + sandbox.root().string()));
  }
  SECTION("its exit status") {
    Outcome outcome = spawner(sandbox, {"--", program("exit_with"), "7"});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "exited 7"));
  }
  SECTION("the signal that killed it") {
    Outcome outcome = spawner(sandbox, {"--", program("crash"), "abort"});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "killed " + std::to_string(SIGABRT)));
  }
}

TEST_CASE("the spawned program shares the spawner's memory: a raw pointer from the spawner is valid in it") {
  Sandbox sandbox;
  // The buffer is on the spawner's stack, not in the space heap: all of the space is shared.
  Outcome outcome = spawner(sandbox, {"--shared", "a string on the spawner's stack", "--", program("shared_string"),
                                      "@SHARED@"});
  INFO(outcome.out << outcome.err);
  REQUIRE_THAT(outcome, ExitsWith(0));
  CHECK(has_line(outcome.out, "read: a string on the spawner's stack"));
  const std::string spawned = "spawned pid ";
  const size_t at = outcome.out.find(spawned);
  REQUIRE(at != std::string::npos);
  const std::string pid = outcome.out.substr(at + spawned.size(), outcome.out.find(' ', at + spawned.size()) - at - spawned.size());
  CHECK(has_line(outcome.out, "buffer: answered by " + pid));  // what it wrote, the spawner reads
  CHECK(has_line(outcome.out, "exited 0"));
}

TEST_CASE("file actions give the spawned program its descriptors: a pipe as stdout, files opened, moved and closed") {
  Sandbox sandbox;
  const std::string file = sandbox.write_file("input.txt", "from the file\n", 0644);
  SECTION("stdout to a pipe the spawner reads") {
    Outcome outcome = spawner(sandbox, {"--pipe", "--", program("print_args"), "piped"});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "child: [1]=piped"));
    CHECK(!has_line(outcome.out, "[1]=piped"));  // nothing reached the spawner's own stdout
  }
  SECTION("exactly the descriptors the actions leave, at their numbers") {
    Outcome outcome = spawner(sandbox, {"--open", "5:" + file, "--open", "6:" + file, "--dup2", "5:9", "--close", "5",
                                        "--close", "6", "--open", "7:" + file, "--", program("list_fds")});
    REQUIRE_THAT(outcome, ExitsWith(0));
    std::vector<std::string> fds;
    for (const std::string& line : lines(outcome.out))
      if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])) && line.find(' ') == std::string::npos)
        fds.push_back(line);
    CHECK(fds == std::vector<std::string>{"0", "1", "2", "7", "9"});
  }
  SECTION("stdin opened from a file") {
    Outcome outcome = spawner(sandbox, {"--open", "0:" + file, "--", program("cat_stdin")});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "from the file"));
  }
  SECTION("a dup2 of a descriptor that is not open is EBADF, and nothing starts") {
    Outcome outcome = spawner(sandbox, {"--dup2", "57:3", "--", program("print_args"), "never"});
    CHECK(has_line(outcome.out, "spawn failed: EBADF"));
    CHECK(!has_line(outcome.out, "[1]=never"));
  }
  SECTION("an open that fails is the spawn's error") {
    Outcome outcome = spawner(sandbox, {"--open", "3:" + (sandbox.root() / "missing").string(), "--", program("print_args")});
    CHECK(has_line(outcome.out, "spawn failed: ENOENT"));
  }
}

TEST_CASE("the working directory, name and signal mask a spawn asks for") {
  Sandbox sandbox;
  fs::create_directory(sandbox.root() / "elsewhere");
  SECTION("a working directory relative to the caller's") {
    Outcome outcome = spawner(sandbox, {"--cwd", "elsewhere", "--", program("print_env_cwd"), "X"});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "cwd=" + (sandbox.root() / "elsewhere").string()));
  }
  SECTION("a signal mask") {
    Outcome outcome = spawner(sandbox, {"--block-usr1", "--", program("sigmask_check")});
    INFO(outcome.out);
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "SigBlk: 0000000000000200"));  // SIGUSR1 is signal 10: bit 9
  }
  SECTION("a name that a running program of the space has is EEXIST") {
    ChildProcess holder = sandbox.start_tproc({"run", "--name", "taken", kSpace, program("sleeper"), "30"});
    REQUIRE(holder.wait_for_output("sleeping"));
    Outcome outcome = spawner(sandbox, {"--name", "taken", "--", program("print_args")});
    CHECK(has_line(outcome.out, "spawn failed: EEXIST"));
  }
}

TEST_CASE("tproc_spawnp searches the caller's PATH as execvp does, and tproc_spawn takes a name as a path") {
  Sandbox sandbox;
  const std::string path = "PATH=" + fs::path(program("print_args")).parent_path().string() + ":/usr/bin:/bin";
  SECTION("found in PATH") {
    Outcome outcome = spawner(sandbox, {"-p", "--", "print_args", "searched"}, {.extra_env = {path}});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "[0]=print_args"));
    CHECK(has_line(outcome.out, "[1]=searched"));
  }
  SECTION("a #! script found in PATH runs under its interpreter") {
    sandbox.write_file("bin/greet", "#!/bin/sh\necho \"script says $1\"\n", 0755);
    Outcome outcome = spawner(sandbox, {"-p", "--", "greet", "hi"},
                              {.extra_env = {"PATH=" + (sandbox.root() / "bin").string() + ":/usr/bin:/bin"}});
    REQUIRE_THAT(outcome, ExitsWith(0));
    CHECK(has_line(outcome.out, "script says hi"));
  }
  SECTION("not in PATH: ENOENT") {
    Outcome outcome = spawner(sandbox, {"-p", "--", "no-such-program-here"}, {.extra_env = {path}});
    CHECK(has_line(outcome.out, "spawn failed: ENOENT"));
  }
  SECTION("tproc_spawn does not search: a bare name is in the working directory") {
    Outcome outcome = spawner(sandbox, {"--", "print_args"}, {.extra_env = {path}});
    CHECK(has_line(outcome.out, "spawn failed: ENOENT"));
  }
}

TEST_CASE("a spawn that cannot start returns posix_spawn's error, and the space keeps serving") {
  Sandbox sandbox;
  SECTION("a missing file: ENOENT") {
    Outcome outcome = spawner(sandbox, {"--", (sandbox.root() / "missing").string()});
    CHECK(has_line(outcome.out, "spawn failed: ENOENT"));
  }
  SECTION("a file that is not an ELF program: ENOEXEC") {
    const std::string text = sandbox.write_file("not-elf", "just some text\n", 0755);
    Outcome outcome = spawner(sandbox, {"--", text});
    CHECK(has_line(outcome.out, "spawn failed: ENOEXEC"));
  }
  SECTION("a file we may not execute: EACCES") {
    const std::string plain = sandbox.write_file("not-executable", "#!/bin/sh\n", 0644);
    Outcome outcome = spawner(sandbox, {"--", plain});
    CHECK(has_line(outcome.out, "spawn failed: EACCES"));
  }
  // Whatever failed, the daemon still runs programs.
  Outcome after = sandbox.tproc({"run", kSpace, program("exit_with"), "0", "still serving"});
  REQUIRE_THAT(after, ExitsWith(0));
  CHECK(after.out == "still serving\n");
}

TEST_CASE("a spawned program is listed by ps while it runs, can be signalled, and the spawner gets its status") {
  Sandbox sandbox;
  ChildProcess spawning = sandbox.start_tproc({"run", kSpace, program("spawner"), "--name", "napper", "--",
                                               program("sleeper"), "30"});
  REQUIRE(spawning.wait_for_output("spawned pid "));
  const std::optional<TprocInfo> napper = sandbox.find_tproc(kSpace, "napper");
  REQUIRE(napper);
  CHECK(napper->state == "running");
  CHECK(spawning.out().find("spawned pid " + std::to_string(napper->pid) + " id " + napper->id) != std::string::npos);
  REQUIRE_THAT(sandbox.tproc({"kill", "-s", "TERM", kSpace, "napper"}), ExitsWith(0));
  Outcome outcome = spawning.wait();
  INFO(outcome.out);
  REQUIRE_THAT(outcome, ExitsWith(0));
  CHECK(has_line(outcome.out, "killed " + std::to_string(SIGTERM)));
  CHECK(eventually([&] { return !sandbox.find_tproc(kSpace, "napper"); }));
}

TEST_CASE("a spawn after the space's daemon is gone fails without a hang, and never reaches a daemon started since") {
  Sandbox sandbox;
  ChildProcess spawning = sandbox.start_tproc({"run", kSpace, program("spawner"), "--after-line", "--",
                                               program("print_args")},
                                              {.keep_stdin_open = true});
  // The space comes up with the run: until then ps has no space to ask.
  REQUIRE(eventually([&] {
    try {
      return sandbox.find_tproc(kSpace, "spawner").has_value();
    } catch (const std::exception&) {
      return false;
    }
  }));
  // Killed only once the spawner runs: its listener is then with the daemon's keeper, so the kill
  // cannot take its mapping calls with it.
  REQUIRE(spawning.wait_for_output("waiting for a line"));
  const pid_t daemon = sandbox.daemon_pid(kSpace);
  REQUIRE(::kill(daemon, SIGKILL) == 0);
  // Gone, not only a zombie leader: its other threads close its descriptors (the listening socket
  // among them) as they exit, and a connect before that is queued, then reset.
  REQUIRE(eventually([&] { return process_state(daemon) == 0; }));
  spawning.write_stdin("go\n");
  Outcome outcome = spawning.wait();
  INFO(outcome.out << outcome.err);
  // Nobody listening: ECONNREFUSED. A daemon started at the same path since (the CLI starts one on
  // demand) is not the spawner's parent, and the peer check refuses it: EPERM.
  CHECK((has_line(outcome.out, "spawn failed: ECONNREFUSED") || has_line(outcome.out, "spawn failed: EPERM")));
  CHECK(outcome.status == 1);  // the spawner's own status, which tproc run still reports
}

TEST_CASE("a tproc in a container cannot spawn a program outside it: EPERM, and nothing starts") {
  Sandbox sandbox;
  // Without the refusal the program would get the daemon's network, not the caller's none.
  Outcome outcome = sandbox.tproc({"run", "--net", "none", kSpace, program("spawner"), "--", program("print_args"), "escaped"});
  INFO(outcome.out << outcome.err);
  CHECK(has_line(outcome.out, "spawn failed: EPERM"));
  CHECK(!has_line(outcome.out, "[1]=escaped"));
  Outcome pids = sandbox.tproc({"run", "--pid", "private", kSpace, program("spawner"), "--", program("print_args"), "escaped"});
  INFO(pids.out << pids.err);
  CHECK(has_line(pids.out, "spawn failed: EPERM"));
}

TEST_CASE("outside a space tproc_spawn fails with ENOTCONN") {
  Sandbox sandbox;
  Outcome outcome = sandbox.run_direct({program("spawner"), "--", program("print_args")});
  CHECK(has_line(outcome.out, "spawn failed: ENOTCONN"));
  CHECK(outcome.status == 1);
}

TEST_CASE("what spawned programs map is reclaimed: after 20 spawns the space is back to its size") {
  Sandbox sandbox;
  const std::string file = sandbox.write_file("mapped-file", std::string(256 * 1024, 'm'), 0644);
  // A warm-up: the daemon's own first allocations.
  REQUIRE_THAT(spawner(sandbox, {"--", program("map_lots"), file}), ExitsWith(0));
  const pid_t daemon = sandbox.daemon_pid(kSpace);
  std::this_thread::sleep_for(200ms);
  const size_t baseline_mappings = mapping_count(daemon);
  const long baseline_rss = rss_kib(daemon);
  const size_t baseline_fds = open_fd_count(daemon);

  Outcome outcome = spawner(sandbox, {"--repeat", "20", "--", program("map_lots"), file});
  REQUIRE_THAT(outcome, ExitsWith(0));
  CHECK(has_line(outcome.out, "exited 0"));
  // The daemon answers first and unmaps after: give it a moment.
  size_t mappings = 0;
  CHECK(eventually([&] { return (mappings = mapping_count(daemon)) <= baseline_mappings + 2; }, 5s));
  INFO("mappings " << baseline_mappings << " -> " << mappings);
  CHECK(rss_kib(daemon) <= baseline_rss + 1024);
  // Its descriptors too are closed once each tproc's exit is handled, after the answer.
  size_t fds = 0;
  CHECK(eventually([&] { return (fds = open_fd_count(daemon)) <= baseline_fds; }, 5s));
  INFO("descriptors " << baseline_fds << " -> " << fds);
}
