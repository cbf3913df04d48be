// A program learns its own executable from /proc/self/exe as it would outside a space, though the
// kernel names the daemon there (space/program_exe.hpp): readlink and readlinkat of
// /proc/self/exe, /proc/thread-self/exe and /proc/PID/exe give the program's path, in the tproc
// and in its forked and posix_spawn'd children, and a program that execs /proc/self/exe runs
// itself again. Each case runs through both doors and is compared with a native run.

#include <catch2/catch.hpp>

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

Outcome run_in_space(Sandbox& sandbox, Door door, std::vector<std::string> target_and_args) {
  std::vector<std::string> args{"run", "s"};
  args.insert(args.end(), target_and_args.begin(), target_and_args.end());
  if (door == Door::quick) {
    REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));  // the daemon runs
    return sandbox.tproc(args);
  }
  args.insert(args.begin(), full_cli_binary());
  return sandbox.run_direct(args);
}

/// `text` without its lines that start with `prefix`.
std::string without_lines(const std::string& text, const std::string& prefix) {
  std::string kept;
  for (const std::string& line : lines(text))
    if (!line.starts_with(prefix)) kept += line + "\n";
  return kept;
}

}  // namespace

TEST_CASE("readlink of /proc/self/exe, /proc/thread-self/exe and /proc/PID/exe names the program") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const Outcome native = sandbox.run_direct({program("print_exe")});
  REQUIRE_THAT(native, ExitsWith(0));
  REQUIRE_THAT(native.out, Catch::Contains("self=" + program("print_exe") + "\n"));
  const Outcome spaced = run_in_space(sandbox, door, {program("print_exe")});
  CHECK_THAT(spaced, ExitsWith(0));
  CHECK(spaced.out == native.out);  // also readlinkat, and a short buffer truncated as the kernel does

  // A script's /proc/self/exe is its interpreter, as after a direct exec.
  sandbox.write_file("by-script", "#!" + program("print_exe") + "\n");
  const Outcome script = run_in_space(sandbox, door, {"./by-script"});
  CHECK_THAT(script.out, Catch::Contains("\nself=" + program("print_exe") + "\n"));
  CHECK(script.out == sandbox.run_direct({"./by-script"}).out);
}

TEST_CASE("a program that execs /proc/self/exe runs itself again, not the daemon") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const Outcome native = sandbox.run_direct({program("print_exe"), "exec-self", "again"});
  REQUIRE_THAT(native, ExitsWith(0));
  const Outcome spaced = run_in_space(sandbox, door, {program("print_exe"), "exec-self", "again"});
  CHECK_THAT(spaced, ExitsWith(0));
  CHECK_THAT(spaced.out, Catch::Contains("argv[1]=ran-again\nargv[2]=again\n"));
  // The one difference: AT_EXECFN is the path the exec was given, /dev/fd/N rather than /proc/self/exe.
  CHECK(without_lines(spaced.out, "execfn=") == without_lines(native.out, "execfn="));
}

TEST_CASE("forked and posix_spawn'd children of a tproc see the program too, and the parent's path stays intact") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  if (!fs::exists("/usr/bin/python3")) {
    WARN("skipped: no /usr/bin/python3");
    return;
  }
  Sandbox sandbox;
  const std::string script = sandbox.write_file("children.py",
      "import os, sys\n"
      "print('parent', os.readlink('/proc/self/exe'))\n"
      "if os.fork() == 0:\n"
      "    print('forked', os.readlink('/proc/self/exe')); sys.stdout.flush(); os._exit(0)\n"
      "os.wait()\n"
      "path = b'/proc/self/exe'\n"  // posix_spawn is a vfork: the child execs from the parent's memory
      "child = os.posix_spawn(path, [b'py', b'-c', b'import os; print(\"spawned\", os.readlink(\"/proc/self/exe\"))'], os.environ)\n"
      "os.waitpid(child, 0)\n"
      "print('after', path, os.readlink(path))\n", 0644);
  const Outcome native = sandbox.run_direct({"/usr/bin/python3", script});
  REQUIRE_THAT(native, ExitsWith(0));
  const Outcome spaced = run_in_space(sandbox, door, {"/usr/bin/python3", script});
  CHECK_THAT(spaced, ExitsWith(0));
  CHECK(spaced.out == native.out);
}
