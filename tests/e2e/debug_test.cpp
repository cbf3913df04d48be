// `tproc debug SPACE ID` (issue 15): stock gdb, driven in batch mode as a user would, sees one
// tproc as a process of its own -- its frames, symbols, variables, libraries and threads -- while
// the rest of the space runs on undisturbed.

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

/// The log of tproc `id` in space `space`.
std::filesystem::path log_of(Sandbox& sandbox, const std::string& space, const std::string& id) {
  return sandbox.home_dir() / "spaces" / space / "logs" / (id + ".log");
}

/// How many "tick N" lines debug_target has logged.
size_t ticks(const std::filesystem::path& log) { return count_of(read_file(log), "tick "); }

/// `tproc debug SPACE ID -- -nx -batch -ex COMMAND...`.
Outcome debug_batch(Sandbox& sandbox, const std::string& space, const std::string& id,
                    const std::vector<std::string>& commands, const SpawnOptions& options = {}) {
  std::vector<std::string> args = {"debug", space, id, "--", "-nx", "-batch"};
  for (const std::string& command : commands) {
    args.push_back("-ex");
    args.push_back(command);
  }
  return sandbox.tproc(args, options, 60s);
}

/// The first address of the mapping named `name` ("[vdso]") in /proc/`pid`/maps.
std::string mapping_start(pid_t pid, const std::string& name) {
  for (const std::string& line : lines(read_file("/proc/" + std::to_string(pid) + "/maps")))
    if (line.size() > name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0)
      return "0x" + line.substr(0, line.find('-'));
  return "";
}

/// The number gdb printed as `$N = NUMBER`; -1 if it printed none.
long value_of(const std::string& out, const std::string& name) {
  const size_t at = out.find(name + " = ");
  return at == std::string::npos ? -1 : std::strtol(out.c_str() + at + name.size() + 3, nullptr, 10);
}

bool have_gdb() { return std::system("gdb --version >/dev/null 2>&1") == 0; }

/// gdb's output for `commands` on a plain program (not a tproc) stopped at main, which writes a
/// global g and has a function seven().
Outcome gdb_on_plain_program(Sandbox& sandbox, const std::vector<std::string>& commands) {
  const std::string source = sandbox.write_file(
      "plain.c", "volatile int g;\nint seven(void) { return 7; }\nint main(void) { g = 1; g = seven(); return 0; }\n", 0644);
  const std::string binary = (sandbox.root() / "plain").string();
  if (!std::filesystem::exists(binary)) REQUIRE_THAT(sandbox.run_direct({"/usr/bin/cc", "-g", "-O0", "-o", binary, source}), ExitsWith(0));
  std::vector<std::string> argv{"/usr/bin/gdb", "-nx", "-batch", "-ex", "break main", "-ex", "run"};
  for (const std::string& command : commands) {
    argv.push_back("-ex");
    argv.push_back(command);
  }
  argv.push_back(binary);
  return sandbox.run_direct(argv);
}

/// Whether this machine's hardware watchpoints fire at all: some VMs do not pass the debug
/// registers through, so gdb sets "Hardware watchpoint N" and it never triggers, on a plain
/// process as on a tproc. Asked of gdb directly, on a program that writes a global.
bool hardware_watchpoints_fire(Sandbox& sandbox) {
  return contains(gdb_on_plain_program(sandbox, {"watch g", "continue"}).out, "New value = ");
}

/// Whether gdb can call a function of the program at all here. gdb 13 cannot on CPUs with AMX
/// state under this kernel: restoring the registers after the call fails ("Couldn't write extended
/// state status: Bad address"), on a plain process as on a tproc.
bool inferior_calls_work(Sandbox& sandbox) {
  return contains(gdb_on_plain_program(sandbox, {"print seven()"}).out, "= 7");
}

}  // namespace

TEST_CASE("debug attaches gdb to one tproc: frames, a breakpoint, variables, libraries and its own threads") {
  if (!have_gdb()) {
    WARN("gdb is not installed: skipped");
    return;
  }
  Sandbox sandbox;
  // The sibling runs the same program: the same libraries, each tproc with its own copy.
  const std::string target = sandbox.detach({"s", program("debug_target")});
  const std::string sibling = sandbox.detach({"s", program("debug_target")});
  const auto target_log = log_of(sandbox, "s", target);
  const auto sibling_log = log_of(sandbox, "s", sibling);
  REQUIRE(eventually([&] { return ticks(target_log) > 0 && ticks(sibling_log) > 0; }));
  const pid_t target_pid = sandbox.tproc_info("s", target).pid;
  const pid_t sibling_pid = sandbox.tproc_info("s", sibling).pid;
  const std::string sibling_file = sibling_log.native();

  Outcome session = debug_batch(
      sandbox, "s", target,
      {"info threads", "thread apply all bt", "break inner_step", "continue", "bt", "next", "print doubled", "print value",
       "print debug_ticks",
       "info symbol puts",
       // While gdb holds the target at its breakpoint, the sibling (same code, its own copy) goes on.
       "shell n=$(grep -c tick " + sibling_file + "); for i in $(seq 1000); do [ $(grep -c tick " + sibling_file +
           ") -ge $((n + 3)) ] && echo sibling-advanced && break; sleep 0.01; done",
       "print debug_ticks",
       // Into the library and out again; a call; a hardware watchpoint; TLS, which gdb cannot reach here.
       "step", "finish", "print (const char *) tproc_test_foo()", "watch debug_ticks", "continue", "delete",
       "print errno", "detach"});
  INFO(session);
  REQUIRE_THAT(session, ExitsWith(0));
  // Its two threads, through libthread_db ("Thread 0x..."), and none of the sibling's.
  CHECK(count_of(session.out, "Thread 0x") >= 2);
  CHECK(contains(session.out, "(LWP " + std::to_string(target_pid) + ")"));
  CHECK_FALSE(contains(session.out, "(LWP " + std::to_string(sibling_pid) + ")"));
  CHECK(contains(session.out, "idle_worker"));
  // A backtrace from where it waited, through libc, to main.
  CHECK(contains(session.out, "nanosleep"));
  CHECK(contains(session.out, "in main () at "));
  // The breakpoint, hit in the program's own code; the backtrace through two named functions.
  CHECK(contains(session.out, "hit Breakpoint 1, inner_step (value="));
  CHECK(contains(session.out, "debug_target.c:22"));
  CHECK(contains(session.out, " outer_step (value="));
  // A local (doubled = value * 2, once its line ran) and a global (below).
  CHECK(value_of(session.out, "$1") == 2 * value_of(session.out, "$2"));
  CHECK(contains(session.out, "puts in section .text of "));
  CHECK(contains(session.out, "libc.so.6"));
  CHECK(contains(session.out, "sibling-advanced"));
  // The global read twice around the sibling's ticks: the target stood still meanwhile.
  CHECK(value_of(session.out, "$3") > 0);
  CHECK(value_of(session.out, "$3") == value_of(session.out, "$4"));
  CHECK(contains(session.out, "tproc_test_bar () at "));  // step: into libtproc_test_bar.so
  CHECK(contains(session.out, "Value returned is "));
  CHECK(contains(session.out, "\"hello from libtproc_test_foo\""));  // finish's value
  if (inferior_calls_work(sandbox))
    CHECK(count_of(session.out, "\"hello from libtproc_test_foo\"") >= 2);  // and the call's
  else
    WARN("gdb cannot call a function of a plain process on this machine: the call is not checked");
  CHECK(contains(session.out, "Hardware watchpoint 2: debug_ticks"));
  if (hardware_watchpoints_fire(sandbox))
    CHECK(contains(session.out, "New value = "));
  else
    WARN("this machine's hardware watchpoints never fire, not even on a plain process: not checked");
  CHECK(contains(session.err, "Cannot find thread-local variables"));
  CHECK(contains(session.out, "detached"));

  // Detached, it runs on; so does the sibling, and the daemon answers.
  const size_t held = ticks(target_log);
  CHECK(eventually([&] { return ticks(target_log) > held + 2; }));
  CHECK(sandbox.tproc_info("s", target).state == "running");
  CHECK(sandbox.tproc_info("s", sibling).state == "running");
}

TEST_CASE("debug refuses a software breakpoint outside the tproc's own code, and allows a hardware one") {
  if (!have_gdb()) {
    WARN("gdb is not installed: skipped");
    return;
  }
  Sandbox sandbox;
  const std::string target = sandbox.detach({"s", program("debug_target")});
  const std::string sibling = sandbox.detach({"s", program("debug_target")});
  REQUIRE(eventually([&] { return ticks(log_of(sandbox, "s", target)) > 0; }));
  const pid_t target_pid = sandbox.tproc_info("s", target).pid;
  // The vDSO: one per address space, so every tproc of the space runs it.
  const std::string vdso = mapping_start(target_pid, "[vdso]");
  REQUIRE_FALSE(vdso.empty());
  Outcome session = debug_batch(sandbox, "s", target, {"break *" + vdso, "hbreak *" + vdso, "info breakpoints", "detach"});
  INFO(session);
  REQUIRE_THAT(session, ExitsWith(0));
  CHECK(contains(session.out, "tproc: breakpoint 1.1 at " + vdso + " disabled: it is outside the code of tproc " +
                                  target + " (debug_target)"));
  CHECK_FALSE(contains(session.out, "breakpoint 2.1"));  // hbreak: the traced threads' debug registers
  const size_t held = ticks(log_of(sandbox, "s", sibling));
  CHECK(eventually([&] { return ticks(log_of(sandbox, "s", sibling)) > held + 2; }));
  CHECK(sandbox.tproc_info("s", target).state == "running");
}

TEST_CASE("debug refuses an unknown id, an exited or paused tproc, a space that does not run, and no gdb, in one line") {
  Sandbox sandbox;
  const std::string sleeper = sandbox.detach({"s", program("sleeper"), "60"});
  CHECK_THAT(sandbox.tproc({"debug", "s", "99"}), IsOneLineError().naming("99").because_of({"no tproc"}));
  CHECK_THAT(sandbox.tproc({"debug", "nosuch", "1"}), IsOneLineError().naming("nosuch").because_of({"no space"}));
  CHECK_THAT(sandbox.tproc({"debug", "s"}), IsOneLineError().naming("debug").because_of({"needs"}));
  CHECK_THAT(sandbox.tproc({"debug", "s", sleeper}, {.extra_env = {"PATH=" + sandbox.root().native()}}),
             IsOneLineError().naming("gdb").because_of({"PATH"}));
  if (sandbox.tproc({"pause", "s", sleeper}).status == 0) {
    CHECK_THAT(sandbox.tproc({"debug", "s", sleeper}), IsOneLineError().naming("tproc " + sleeper).because_of({"paused"}));
    REQUIRE_THAT(sandbox.tproc({"unpause", "s", sleeper}), ExitsWith(0));
  } else {
    WARN("pause does not work here: the paused case is skipped");
  }
  REQUIRE_THAT(sandbox.tproc({"kill", "s", sleeper}), ExitsWith(0));
  REQUIRE(eventually([&] { return sandbox.tproc_info("s", sleeper, true).state != "running"; }));
  CHECK_THAT(sandbox.tproc({"debug", "s", sleeper}), IsOneLineError().naming("tproc " + sleeper).because_of({"exited"}));
  CHECK_THAT(sandbox.tproc({"ps", "s"}), ExitsWith(0));
}

namespace {

/// Raises this process's soft RLIMIT_CORE to its hard limit for a scope, as `ulimit -c unlimited`
/// before `tproc run` would: a tproc's core limit is its caller's.
class CoresOn {
 public:
  CoresOn() {
    ::getrlimit(RLIMIT_CORE, &saved_);
    rlimit raised = saved_;
    raised.rlim_cur = saved_.rlim_max;
    ::setrlimit(RLIMIT_CORE, &raised);
  }
  ~CoresOn() { ::setrlimit(RLIMIT_CORE, &saved_); }
  CoresOn(const CoresOn&) = delete;
  CoresOn& operator=(const CoresOn&) = delete;

 private:
  rlimit saved_{};
};

/// Whether cores land in the dumping program's cwd as "core" (a pipe to systemd-coredump would not).
bool cores_in_cwd() { return read_file("/proc/sys/kernel/core_pattern") == "core\n"; }

}  // namespace

TEST_CASE("debug --core opens a tproc's core with the crashed program's frames, whatever else the space ran") {
  if (!have_gdb() || !cores_in_cwd()) {
    WARN("gdb is not installed, or kernel.core_pattern is not \"core\": skipped");
    return;
  }
  CoresOn cores;
  Sandbox sandbox;
  // Siblings with the same libraries (their own copies) are in the core too.
  const std::string sibling = sandbox.detach({"s", program("debug_target")});
  REQUIRE(eventually([&] { return ticks(log_of(sandbox, "s", sibling)) > 0; }));
  const auto dir = sandbox.root() / "crashed";
  std::filesystem::create_directory(dir);

  SECTION("a crash in a named function") {
    CHECK_THAT(sandbox.tproc({"run", "s", program("crash"), "nullderef"}, {.cwd = dir.string()}), ExitsWith(128 + SIGSEGV));
    const std::string core = (dir / "core").native();
    Outcome session = sandbox.tproc({"debug", "--core", core, "--", "-nx", "-batch", "-ex", "bt"}, {}, 60s);
    INFO(session);
    REQUIRE_THAT(session, ExitsWith(0));
    CHECK(contains(session.out, "the program that crashed is " + program("crash")));
    CHECK(contains(session.out, "#0  null_deref () at "));
    CHECK(contains(session.out, " in main (argc=2, "));
  }
  SECTION("a program with two threads, stopped in libc by a core signal, named on the command line") {
    const std::string target = sandbox.detach({"--name", "held", "-w", dir.string(), "s", program("debug_target")});
    REQUIRE(eventually([&] { return ticks(log_of(sandbox, "s", target)) > 0; }));
    const pid_t target_pid = sandbox.tproc_info("s", target).pid;
    REQUIRE_THAT(sandbox.tproc({"kill", "-s", "QUIT", "s", target}), ExitsWith(0));
    REQUIRE(eventually([&] { return std::filesystem::exists(dir / "core") && sandbox.tproc_info("s", target, true).state != "running"; }));
    const std::string core = (dir / "core").native();
    for (const std::vector<std::string>& named : {std::vector<std::string>{}, {program("debug_target")}}) {
      std::vector<std::string> args = {"debug", "--core", core};
      args.insert(args.end(), named.begin(), named.end());
      for (const char* word : {"--", "-nx", "-batch", "-ex", "info threads", "-ex", "thread apply all bt"}) args.push_back(word);
      Outcome session = sandbox.tproc(args, {}, 60s);
      INFO(session);
      REQUIRE_THAT(session, ExitsWith(0));
      CHECK(contains(session.out, "the program that crashed is " + program("debug_target")));
      CHECK(count_of(session.out, "Thread 0x") >= 2);  // libthread_db on the core
      CHECK(contains(session.out, "(LWP " + std::to_string(target_pid) + ")"));
      CHECK(contains(session.out, "in main () at "));
      CHECK(contains(session.out, "idle_worker"));
    }
    // The sibling was not disturbed.
    CHECK(sandbox.tproc_info("s", sibling).state == "running");
  }
}

TEST_CASE("debug --core refuses a file that is not a core, and a missing one, in one line") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"debug", "--core", program("debug_target")}),
             IsOneLineError().naming(program("debug_target")).because_of({"core"}));
  CHECK_THAT(sandbox.tproc({"debug", "--core", "/nonexistent/core"}),
             IsOneLineError().naming("/nonexistent/core").because_of({"No such file"}));
  CHECK_THAT(sandbox.tproc({"debug", "--core", "/nonexistent/core", "a", "b"}),
             IsOneLineError().naming("debug --core").because_of({"too many"}));
}
