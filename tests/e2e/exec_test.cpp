// What `tproc run SPACE TARGET ARGS` starts is what execvp(TARGET) starts (cli/exec_target.hpp):
// TARGET searched in the caller's PATH unless it has a slash, and `#!` scripts run by their
// interpreter as the kernel's binfmt_script does, and other text files by /bin/sh as execvp's
// ENOEXEC fallback does. Every case runs through both doors (the front
// door's quick path into a running space, and the full CLI) and is compared with the same
// command run natively by /usr/bin/env, which execs through execvp.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

enum class Door { quick, full };

const char* name_of(Door door) { return door == Door::quick ? "the front door" : "the full CLI"; }

/// `tproc run s TARGET ARGS...` through `door`, with `options` (PATH, cwd) for the client.
Outcome run_in_space(Sandbox& sandbox, Door door, std::vector<std::string> target_and_args, const SpawnOptions& options = {}) {
  std::vector<std::string> args{"run", "s"};
  args.insert(args.end(), target_and_args.begin(), target_and_args.end());
  if (door == Door::quick) {
    REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));  // the daemon runs
    return sandbox.tproc(args, options);
  }
  args.insert(args.begin(), full_cli_binary());
  return sandbox.run_direct(args, options);
}

/// The same command run natively: `env TARGET ARGS...` (env execs through execvp).
Outcome run_natively(Sandbox& sandbox, std::vector<std::string> target_and_args, const SpawnOptions& options = {}) {
  target_and_args.insert(target_and_args.begin(), "/usr/bin/env");
  return sandbox.run_direct(target_and_args, options);
}

/// Runs TARGET ARGS natively and through `door`, and checks that both wrote and exited alike.
void check_same(Sandbox& sandbox, Door door, const std::vector<std::string>& target_and_args, const SpawnOptions& options = {}) {
  const Outcome native = run_natively(sandbox, target_and_args, options);
  const Outcome spaced = run_in_space(sandbox, door, target_and_args, options);
  INFO("native: " << native << "\nin a space: " << spaced);
  CHECK(spaced.status == native.status);
  CHECK(spaced.out == native.out);
  CHECK(spaced.err == native.err);
}

/// A PATH for the client: `dirs` (relative to the sandbox, "" for an empty entry) then the system's.
std::string search_path(Sandbox& sandbox, const std::vector<std::string>& dirs) {
  std::string path;
  for (const std::string& dir : dirs) path += (dir.empty() ? std::string() : (sandbox.root() / dir).native()) + ":";
  return path + "/usr/bin:/bin";
}

}  // namespace

TEST_CASE("a shell script runs under the interpreter its #! line names, with the script's path as argument") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::string script = sandbox.write_file("greet.sh", "#!/bin/sh\necho \"0=$0 args=$*\"\nexit 7\n");
  check_same(sandbox, door, {script, "a b", "c"});
  // A relative path is given to the interpreter as it was typed.
  check_same(sandbox, door, {"./greet.sh", "x"});
  Outcome spaced = run_in_space(sandbox, door, {"./greet.sh"});
  CHECK(spaced.out == "0=./greet.sh args=\n");
}

TEST_CASE("a script started in another directory (--cwd) is given to its interpreter by its absolute path") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("where.sh", "#!/bin/sh\necho \"$0 in $(pwd)\"\n");
  fs::create_directories(sandbox.root() / "elsewhere");
  Outcome run = run_in_space(sandbox, door, {"./where.sh"});
  CHECK(run.out == "./where.sh in " + sandbox.root().native() + "\n");
  std::vector<std::string> args{"run", "--cwd", "elsewhere", "s", "./where.sh"};
  Outcome moved = door == Door::quick ? sandbox.tproc(args) : sandbox.run_direct([&] {
    args.insert(args.begin(), full_cli_binary());
    return args;
  }());
  CHECK_THAT(moved, ExitsWith(0));
  CHECK(moved.out == sandbox.root().native() + "/./where.sh in " + (sandbox.root() / "elsewhere").native() + "\n");
}

TEST_CASE("a #! line's optional argument is one word: the rest of the line, trimmed") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("traced.sh", "#!/bin/sh -x\necho traced\n");  // xtrace goes to stderr
  check_same(sandbox, door, {"./traced.sh"});
  // "#!  INTERPRETER  one two  " gives the interpreter the single argument "one two".
  sandbox.write_file("words", std::string("#!  ") + program("print_args") + "  one  two \t\nignored\n");
  check_same(sandbox, door, {"./words", "last"});
  CHECK(run_in_space(sandbox, door, {"./words", "last"}).out ==
        "argc=4\n[0]=" + program("print_args") + "\n[1]=one  two\n[2]=./words\n[3]=last\n");
}

TEST_CASE("python3 and perl scripts run as they do directly") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("hello.py", "#!/usr/bin/env python3\nimport sys\nprint('py', sys.argv[1:], file=sys.stderr)\nsys.exit(3)\n");
  check_same(sandbox, door, {"./hello.py", "one"});
  if (fs::exists("/usr/bin/perl")) {
    sandbox.write_file("hello.pl", "#!/usr/bin/perl -w\nprint \"perl @ARGV\\n\"; exit 4;\n");
    check_same(sandbox, door, {"./hello.pl", "two"});
  }
}

TEST_CASE("interpreters may be scripts themselves, five #! files deep, and the sixth is refused") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("level0", "#!/bin/sh\necho \"$0 $*\"\n");
  for (int level = 1; level <= 6; ++level)
    sandbox.write_file("level" + std::to_string(level), "#!" + (sandbox.root() / ("level" + std::to_string(level - 1))).native() + "\n");
  check_same(sandbox, door, {"./level4", "arg"});  // five scripts: level4 ... level0
  // Measured natively: Linux 6.18 gives ELOOP for the sixth; bash says "bad interpreter" and exits 126.
  CHECK(run_natively(sandbox, {"./level5"}).status == 126);
  Outcome refused = run_in_space(sandbox, door, {"./level5"});
  CHECK_THAT(refused, ExitsWith(126));
  CHECK_THAT(refused, IsOneLineError().naming("level5").naming("level4").because_of({"bad interpreter"}));
  CHECK_THAT(refused, IsOneLineError().because_of({"Too many levels"}));
}

TEST_CASE("a script whose interpreter is missing or cannot run is refused with 126, naming the interpreter") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("orphan.sh", "#!/nonexistent/interpreter -x\necho never\n");
  Outcome missing = run_in_space(sandbox, door, {"./orphan.sh"});
  CHECK_THAT(missing, ExitsWith(126));
  CHECK_THAT(missing, IsOneLineError().naming("orphan.sh").naming("/nonexistent/interpreter").because_of({"bad interpreter"}));
  CHECK_THAT(missing, IsOneLineError().because_of({"No such file"}));

  sandbox.write_file("plain", "not a program\n", 0644);
  sandbox.write_file("denied.sh", "#!" + (sandbox.root() / "plain").native() + "\n");
  Outcome denied = run_in_space(sandbox, door, {"./denied.sh"});
  CHECK_THAT(denied, ExitsWith(126));
  CHECK_THAT(denied, IsOneLineError().naming("plain").because_of({"bad interpreter"}));

}

TEST_CASE("a text file the kernel refuses runs with /bin/sh, as execvp does, a binary one is named") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  sandbox.write_file("no-hashbang", "echo \"run by $0 with $# args: $*\"\nexit 3\n");
  check_same(sandbox, door, {"./no-hashbang", "a", "b c"});
  sandbox.write_file("blank-hashbang", "#!   \necho blank line\n");
  check_same(sandbox, door, {"./blank-hashbang"});
  sandbox.write_file("empty", "");
  check_same(sandbox, door, {"./empty"});
  // The interpreter is a text file: ENOEXEC from the kernel again, so /bin/sh runs the script.
  sandbox.write_file("text-interpreter", "just words\n");
  sandbox.write_file("uses-text.sh", "#!" + (sandbox.root() / "text-interpreter").native() + "\necho via sh\n");
  check_same(sandbox, door, {"./uses-text.sh"});

  // Where bash says "cannot execute binary file" (126), the space's loader names the file.
  sandbox.write_file("junk", std::string("\x01\x02\0binary", 9));
  Outcome binary = run_in_space(sandbox, door, {"./junk"});
  CHECK_THAT(binary, ExitsWith(126));
  CHECK_THAT(binary, IsOneLineError().naming("junk").because_of({"ELF"}));
}

TEST_CASE("a name without a slash is searched in the caller's PATH, as execvp does") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  fs::create_directories(sandbox.root() / "first");
  fs::create_directories(sandbox.root() / "second");
  fs::create_directories(sandbox.root() / "first" / "tool");  // a directory is skipped (EACCES)
  sandbox.write_file("second/tool", "#!/bin/sh\necho \"second: $0 $*\"\n");
  const SpawnOptions options{.extra_env = {"PATH=" + search_path(sandbox, {"first", "second"})}};
  check_same(sandbox, door, {"tool", "x"}, options);
  CHECK(run_in_space(sandbox, door, {"tool", "x"}, options).out == "second: " + (sandbox.root() / "second" / "tool").native() + " x\n");

  // A file we may not execute is skipped too, and the next entry's is run.
  sandbox.write_file("first/prog", "#!/bin/sh\necho first\n", 0644);
  sandbox.write_file("second/prog", "#!/bin/sh\necho second\n");
  check_same(sandbox, door, {"prog"}, options);

  // argv[0] is the name as typed; AT_EXECFN is the path found (an ELF program, no script).
  fs::copy_file(program("print_exe"), sandbox.root() / "second" / "whoami");
  check_same(sandbox, door, {"whoami"}, options);
  Outcome who = run_in_space(sandbox, door, {"whoami"}, options);
  CHECK_THAT(who.out, Catch::StartsWith("argv[0]=whoami\nexecfn=" + (sandbox.root() / "second" / "whoami").native() + "\n"));

  // An empty entry is the working directory.
  sandbox.write_file("here/local", "#!/bin/sh\necho local\n");
  const SpawnOptions in_here{.extra_env = {"PATH=" + search_path(sandbox, {"first", ""})}, .cwd = (sandbox.root() / "here").native()};
  check_same(sandbox, door, {"local"}, in_here);
  CHECK(run_in_space(sandbox, door, {"local"}, in_here).out == "local\n");
}

TEST_CASE("a name PATH does not hold exits 127, one found but not executable 126") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  fs::create_directories(sandbox.root() / "bin");
  sandbox.write_file("bin/readonly", "#!/bin/sh\necho never\n", 0644);
  const SpawnOptions options{.extra_env = {"PATH=" + search_path(sandbox, {"bin"})}};
  CHECK(run_natively(sandbox, {"no-such-tool-anywhere"}, options).status == 127);
  Outcome missing = run_in_space(sandbox, door, {"no-such-tool-anywhere"}, options);
  CHECK_THAT(missing, ExitsWith(127));
  CHECK_THAT(missing, IsOneLineError().naming("no-such-tool-anywhere").because_of({"not found in PATH"}));

  CHECK(run_natively(sandbox, {"readonly"}, options).status == 126);
  Outcome denied = run_in_space(sandbox, door, {"readonly"}, options);
  CHECK_THAT(denied, ExitsWith(126));
  CHECK_THAT(denied, IsOneLineError().naming("readonly").because_of({"Permission denied"}));

  // A name with a slash is never searched: ./readonly is not in the working directory.
  Outcome path = run_in_space(sandbox, door, {"./no-such-tool-anywhere"}, options);
  CHECK_THAT(path, ExitsWith(127));
}

TEST_CASE("a bundle named without a slash is still the bundle in the working directory") {
  Sandbox sandbox;
  // Not a real bundle: what matters is which door takes it, and that PATH is not searched.
  std::string archive(512, '\0');
  archive.replace(257, 5, "ustar");
  sandbox.write_file("thing.bundle", archive, 0644);
  const SpawnOptions options{.extra_env = {"PATH=/usr/bin:/bin"}};
  Outcome refused = run_in_space(sandbox, Door::quick, {"thing.bundle"}, options);
  CHECK(refused.status != 127);
  CHECK(refused.err.find("not found in PATH") == std::string::npos);
}
