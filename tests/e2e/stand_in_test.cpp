// `tproc run` stands in for its program (cli/stand_in.hpp) through both doors, the front door's
// quick path into a running space and the full CLI: it ends the way the program ended, a parent
// watching it sees what it would see of a direct child, and it still does so when the space's
// daemon is killed while the program runs.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// The two ways `tproc run` stands in for its program: the front door's quick path, into a
/// space whose daemon already runs, and the full CLI.
enum class Door { quick, full };

const char* name_of(Door door) { return door == Door::quick ? "the front door" : "the full CLI"; }

/// The command that runs a program in space "s" through `door`: "tproc run s" or
/// "tproc-cli run s". The space's daemon is started first, so that it is not a child of the
/// shells the tests give a small `ulimit -n`.
std::vector<std::string> run_command(Sandbox& sandbox, Door door) {
  REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));
  if (door == Door::full) return {full_cli_binary(), "run", "s"};
  return {tproc_binary(), "run", "s"};
}

/// `command` followed by `args`.
std::vector<std::string> with(std::vector<std::string> command, const std::vector<std::string>& args) {
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

/// Kills the listed processes when a test ends, passed or failed (orphans of a killed daemon).
struct KillOnExit {
  std::vector<pid_t> pids;
  ~KillOnExit() {
    for (pid_t pid : pids)
      if (process_alive(pid)) ::kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE("a program killed by a signal ends tproc run by the same signal") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::vector<std::string> run = run_command(sandbox, door);

  Outcome crashed = sandbox.run_direct(with(run, {program("crash"), "nullderef"}));
  CHECK(crashed.signal == SIGSEGV);
  Outcome aborted = sandbox.run_direct(with(run, {program("crash"), "abort"}));
  CHECK(aborted.signal == SIGABRT);

  ChildProcess sleeping = sandbox.start_direct(with(run, {program("sleeper"), "300"}));
  REQUIRE(sleeping.wait_for_output("sleeping\n"));
  sleeping.send_signal(SIGTERM);
  Outcome terminated = sleeping.wait();
  CHECK(terminated.signal == SIGTERM);
  CHECK(terminated.err.empty());
  // An exit status stays an exit status, 128+N included.
  CHECK(sandbox.run_direct(with(run, {program("exit_with"), "143"})).signal == 0);
  CHECK_THAT(sandbox.run_direct(with(run, {program("exit_with"), "143"})), ExitsWith(143));
}

TEST_CASE("a python parent sees returncode -15 and -11, and bash reports the signal, as for a direct child") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::vector<std::string> run = run_command(sandbox, door);
  const std::string parent = R"(
import signal, subprocess, sys
run = sys.argv[1:4]
crash, sleeper = sys.argv[4], sys.argv[5]
print(subprocess.run(run + [crash, "nullderef"]).returncode)
child = subprocess.Popen(run + [sleeper, "300"], stdout=subprocess.PIPE)
child.stdout.readline()
child.send_signal(signal.SIGTERM)
print(child.wait())
)";
  Outcome watched = sandbox.run_direct(with({"/usr/bin/python3", "-c", parent}, with(run, {program("crash"), program("sleeper")})));
  REQUIRE_THAT(watched, ExitsWith(0));
  CHECK(watched.out == "-11\n-15\n");

  // bash says how its child died, as it says it of a direct one.
  const std::string script = "\"$@\" " + program("crash") + " abort; echo status=$?";
  Outcome direct = sandbox.run_direct({"/bin/bash", "-c", "\"$@\"; echo status=$?", "bash", program("crash"), "abort"});
  Outcome in_space = sandbox.run_direct(with({"/bin/bash", "-c", script, "bash"}, run));
  CHECK(in_space.out == direct.out);
  CHECK(in_space.out == "status=134\n");
  CHECK(in_space.err.find("Aborted") != std::string::npos);
  CHECK(direct.err.find("Aborted") != std::string::npos);
}

TEST_CASE("kill -9 of the daemon: tproc run waits for its program and ends with the program's real status") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::vector<std::string> run = run_command(sandbox, door);
  ChildProcess waiting = sandbox.start_direct(with(run, {program("wait_signal"), "USR1"}));
  ChildProcess sleeping = sandbox.start_direct(with(run, {program("sleeper"), "300"}));
  REQUIRE(waiting.wait_for_output("ready\n"));
  REQUIRE(sleeping.wait_for_output("sleeping\n"));
  KillOnExit orphans;
  for (const TprocInfo& tproc : sandbox.ps("s")) orphans.pids.push_back(tproc.pid);
  REQUIRE(orphans.pids.size() == 2);

  const pid_t daemon = sandbox.daemon_pid("s");
  REQUIRE(::kill(daemon, SIGKILL) == 0);
  REQUIRE(eventually([&] { return !process_alive(daemon); }));
  std::this_thread::sleep_for(300ms);
  // Both programs still run, and so do both stand-ins: they wait for them, not for the daemon.
  for (pid_t pid : orphans.pids) CHECK(process_alive(pid));
  CHECK(!waiting.exited());
  CHECK(!sleeping.exited());

  // Signals still reach the programs, and each stand-in ends as its program ends.
  waiting.send_signal(SIGUSR1);
  Outcome handled = waiting.wait();
  CHECK_THAT(handled, ExitsWith(0));
  CHECK(handled.out == "ready\ngot SIGUSR1\n");
  CHECK_THAT(handled.err, Catch::Contains("daemon went away"));
  sleeping.send_signal(SIGTERM);
  Outcome terminated = sleeping.wait();
  CHECK(terminated.signal == SIGTERM);
  for (pid_t pid : orphans.pids) CHECK(eventually([&] { return !process_alive(pid); }));
}

namespace {

/// Runs bash `script` twice, with $RUN empty (the programs run directly) and with $RUN the
/// `tproc run s` of `run`, and returns both outcomes: a shell habit must not tell them apart.
std::pair<Outcome, Outcome> direct_and_in_space(Sandbox& sandbox, const std::vector<std::string>& run,
                                                const std::string& script) {
  std::string command;
  for (const std::string& word : run) command += (command.empty() ? "" : " ") + word;
  const std::vector<std::string> bash{"/bin/bash", "-c", "set -e\n" + script};
  return {sandbox.run_direct(bash, {.extra_env = {"RUN=", "DIR=" + sandbox.root().native()}}),
          sandbox.run_direct(bash, {.extra_env = {"RUN=" + command, "DIR=" + sandbox.root().native()}})};
}

}  // namespace

TEST_CASE("the program gets every descriptor the caller hands on, at its number, sharing its offset") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::vector<std::string> run = run_command(sandbox, door);
  sandbox.write_file("in.txt", "from fd 3\n", 0644);
  sandbox.write_file("lines.txt", "one\ntwo\nthree\n", 0644);
  // list_fds first: bash keeps the descriptors of its process substitutions open for a while.
  const std::string script = "$RUN " + program("list_fds") + " 7</dev/null 9</dev/null 200</dev/null\n" + R"(
$RUN /bin/cat <(echo substituted)
$RUN /bin/cat /dev/fd/3 3<"$DIR/in.txt"
$RUN /usr/bin/grep -f <(echo hi) <(printf 'hi\nho\n')
exec 5>"$DIR/out.txt"
$RUN /bin/sh -c 'echo five >&5'
echo six >&5
exec 5>&-
cat "$DIR/out.txt"
exec 3<"$DIR/lines.txt"
$RUN /bin/sh -c 'read line <&3; echo "read $line"'
cat <&3
exec 3<&-
)";
  auto [direct, in_space] = direct_and_in_space(sandbox, run, script);
  REQUIRE_THAT(direct, ExitsWith(0));
  CHECK(direct.out == "0\n1\n2\n7\n9\n200\nsubstituted\nfrom fd 3\nhi\nfive\nsix\nread one\ntwo\nthree\n");
  CHECK_THAT(in_space, ExitsWith(0));
  CHECK(in_space.out == direct.out);
  CHECK(in_space.err == direct.err);
}

TEST_CASE("the program gets the caller's umask, every rlimit, nice value and signal dispositions and mask") {
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  const std::vector<std::string> run = run_command(sandbox, door);
  const std::string script = R"(
umask 027
ulimit -n 200
ulimit -S -s 4096
ulimit -S -t 5000
ulimit -S -l 1024
$RUN /bin/sh -c 'umask; ulimit -n; ulimit -s'
$RUN /bin/cat /proc/self/limits
nice -n 5 $RUN /usr/bin/nice
(trap '' USR1 HUP; $RUN /bin/grep SigIgn /proc/self/status)
python3 -c 'import signal, subprocess, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGTERM})
subprocess.run(sys.argv[1:] + ["/bin/grep", "SigBlk", "/proc/self/status"])' $RUN
)";
  auto [direct, in_space] = direct_and_in_space(sandbox, run, script);
  REQUIRE_THAT(direct, ExitsWith(0));
  CHECK(lines(direct.out).at(0) == "0027");
  CHECK(lines(direct.out).at(1) == "200");
  // USR1 and HUP ignored (and whatever the test's own caller ignores), USR2 and TERM blocked.
  // `nice -n 5` adds to the niceness this test runs at (0 unless the suite itself runs under nice).
  const int niced = std::min(19, ::getpriority(PRIO_PROCESS, 0) + 5);
  CHECK_THAT(direct.out, Catch::Contains("\n" + std::to_string(niced) + "\nSigIgn:\t") &&
                             Catch::Contains("201\nSigBlk:\t0000000000004800\n"));
  CHECK_THAT(in_space, ExitsWith(0));
  CHECK(in_space.out == direct.out);
}

namespace {

/// The start of a Python script that runs a job-control bash on a pty and drives it as a user
/// would: `tproc` is the command line of argv[1:-1], expect(text) reads the terminal until it
/// shows `text`, send(text) types.
const std::string kTerminalSession = R"(import os, pty, signal, sys, time, select, fcntl, termios, struct
tproc = ' '.join(sys.argv[1:-1])
pid, fd = pty.fork()
if pid == 0:
    os.execve('/bin/bash', ['bash', '--norc', '--noprofile', '-i'], dict(os.environ, PS1='$ ', TERM='dumb'))
buf = b''
def expect(s, timeout=20):
    global buf
    end = time.time() + timeout
    while s.encode() not in buf:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r: raise SystemExit('timeout waiting for %r; got %r' % (s, buf[-800:]))
        try: buf += os.read(fd, 4096)
        except OSError: raise SystemExit('eof waiting for %r; got %r' % (s, buf[-800:]))
    i = buf.index(s.encode()) + len(s); seen = buf[:i]; buf = buf[i:]; return seen
def send(b): os.write(fd, b.encode() if isinstance(b, str) else b)
)";

}  // namespace

TEST_CASE("with a terminal, the program has its own: /dev/tty, its size and its changes, input, Ctrl-Z and fg, Ctrl-C, Ctrl-backslash") {
  // A job-control bash on a pty the test drives, typing `tproc run` as a user would.
  const Door door = GENERATE(Door::quick, Door::full);
  INFO("through " << name_of(door));
  Sandbox sandbox;
  std::vector<std::string> run = run_command(sandbox, door);
  run.pop_back();  // the script names the space itself
  run.pop_back();
  const std::string session = kTerminalSession + R"(
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
expect('$ ')
send(tproc + " run s /bin/sh -c 'test -t 0 && echo TTY-OK; (exec 3<>/dev/tty) && echo DEVTTY-OK; stty size; ps -o stat= -p $$'\n")
expect('DEVTTY-OK'); expect('33 101'); print('tty, /dev/tty, size ok')
expect('$ ')
send(tproc + " run s " + sys.argv[-1] + " 300\n"); expect('sleeping')
send(b'\x1a'); expect('Stopped'); expect('$ '); print('ctrl-z ok')
send('fg\n'); time.sleep(0.5); send(b'\x03'); expect('$ ')
send('echo STATUS=$?\n'); expect('STATUS=130'); print('fg + ctrl-c ok')
send(tproc + " run s /bin/sh -c 'read x; echo got-$x'\n"); time.sleep(0.3); send('typed\n'); expect('got-typed'); print('input ok')
expect('$ ')  # typed ahead while tproc run still relays, it would go to the ended program's pty
send(tproc + " run s /bin/sh -c 'trap \"stty size\" WINCH; echo $((6*7))-ready; while :; do sleep 0.1; done'\n")
expect("42-ready")  # the program's line, not the echo of the typed one
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0)); expect('40 120'); print('resize ok')
send(b'\x1c'); expect('$ ')
send('echo STATUS=$?\n'); expect('STATUS=131'); print('ctrl-backslash ok')
expect('$ ')
send('exit\n')
os.waitpid(pid, 0)
print('ALL OK')
)";
  Outcome driven = sandbox.run_direct(with({"/usr/bin/python3", "-c", session}, with(run, {program("sleeper")})), {},
                                      std::chrono::seconds(120));
  CHECK_THAT(driven, ExitsWith(0));
  CHECK(driven.out == "tty, /dev/tty, size ok\nctrl-z ok\nfg + ctrl-c ok\ninput ok\nresize ok\nctrl-backslash ok\nALL OK\n");
}

TEST_CASE("kill -9 of the daemon under a terminal: the program's output and input are still relayed") {
  Sandbox sandbox;
  std::vector<std::string> run = run_command(sandbox, Door::full);
  run.pop_back();  // the script names the space itself
  run.pop_back();
  // A space that runs before the session starts, so the test knows which daemon to kill.
  sandbox.detach({"s", program("sleeper"), "300"});
  const pid_t daemon = sandbox.daemon_pid("s");
  KillOnExit orphans;
  for (const TprocInfo& tproc : sandbox.ps("s")) orphans.pids.push_back(tproc.pid);
  const std::string session = kTerminalSession + R"(
daemon = int(sys.argv[-1])
expect('$ ')
send(tproc + " run s /bin/sh -c 'echo $((6*7))-up; read x; sleep 0.2; echo got-$x; exit 3'\n")
expect('42-up')
os.kill(daemon, signal.SIGKILL)
expect('went away'); print('daemon gone')
send('typed\n'); expect('got-typed'); print('relayed after the daemon')
expect('$ ')
send('echo STATUS=$?\n'); expect('STATUS=3'); print('status ok')
send('exit\n')
os.waitpid(pid, 0)
print('ALL OK')
)";
  Outcome driven = sandbox.run_direct(
      with({"/usr/bin/python3", "-c", session}, with(run, {std::to_string(daemon)})), {}, std::chrono::seconds(60));
  CHECK_THAT(driven, ExitsWith(0));
  CHECK(driven.out == "daemon gone\nrelayed after the daemon\nstatus ok\nALL OK\n");
}
