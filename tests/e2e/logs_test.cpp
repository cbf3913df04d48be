// tproc logs as docker's (issue 16, Output): stdout and stderr kept apart, -t timestamps, --tail,
// --since and --until, -f ending with the program's status, and every replica of an app with
// `name-N | ` prefixes. Driven through the real binary on /bin/sh scripts and test programs.

#include <sys/stat.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"
#include "terminal.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t newline; (newline = text.find('\n', start)) != std::string::npos; start = newline + 1)
    lines.push_back(text.substr(start, newline - start));
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

/// Seconds since the epoch of "2026-12-07T10:43:29.357523385Z " at the start of `line`, or -1.
double stamped_at(const std::string& line) {
  tm broken{};
  const char* rest = ::strptime(line.c_str(), "%Y-%m-%dT%H:%M:%S", &broken);
  if (!rest || rest[0] != '.' || line.size() < 31 || line[29] != 'Z' || line[30] != ' ') return -1;
  return static_cast<double>(::timegm(&broken)) + std::stod("0" + line.substr(19, 10));
}

double now_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

/// RFC 3339 for `seconds`, at the offset +01:00, with milliseconds.
std::string rfc3339_plus_one_hour(double seconds) {
  const time_t shifted = static_cast<time_t>(seconds) + 3600;
  tm broken{};
  ::gmtime_r(&shifted, &broken);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+01:00", broken.tm_year + 1900, broken.tm_mon + 1,
                broken.tm_mday, broken.tm_hour, broken.tm_min, broken.tm_sec,
                static_cast<int>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1000));
  return text;
}

/// A script that prints `before`, waits until `gate` exists, prints `after` and exits with `status`.
std::vector<std::string> gated_script(const std::string& before, const std::filesystem::path& gate, const std::string& after,
                                      int status = 0) {
  return {"/bin/sh", "-c",
          "echo " + before + "; while [ ! -e " + gate.native() + " ]; do sleep 0.02; done; echo " + after + "; exit " +
              std::to_string(status)};
}

std::vector<std::string> run_args(const std::string& space, std::vector<std::string> command) {
  command.insert(command.begin(), space);
  return command;
}

/// True once `tproc logs SPACE ID` prints `text` on stdout.
bool logs_show(Sandbox& sandbox, const std::string& space, const std::string& id, const std::string& text) {
  Outcome logs = sandbox.tproc({"logs", space, id});
  return logs.status == 0 && logs.out.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("logs writes what the program wrote to stdout on stdout and what it wrote to stderr on stderr") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", "/bin/sh", "-c", "echo one; echo oops >&2; echo two; echo again >&2"});
  REQUIRE_THAT(sandbox.tproc({"wait", "s", id}), ExitsWith(0));
  Outcome logs = sandbox.tproc({"logs", "s", id});
  CHECK_THAT(logs, ExitsWith(0));
  CHECK(logs.out == "one\ntwo\n");
  CHECK(logs.err == "oops\nagain\n");
}

TEST_CASE("logs -t starts every line with the RFC 3339 time it was written, in UTC with nanoseconds") {
  Sandbox sandbox;
  const double before = now_seconds();
  const std::string id = sandbox.detach({"s", "/bin/sh", "-c", "echo first; echo second >&2"});
  REQUIRE_THAT(sandbox.tproc({"wait", "s", id}), ExitsWith(0));
  const double after = now_seconds();
  Outcome logs = sandbox.tproc({"logs", "-t", "s", id});
  REQUIRE_THAT(logs, ExitsWith(0));
  const auto out = lines_of(logs.out), err = lines_of(logs.err);
  REQUIRE(out.size() == 1);
  REQUIRE(err.size() == 1);
  CHECK(out[0].substr(31) == "first");
  CHECK(err[0].substr(31) == "second");
  for (const std::string& line : {out[0], err[0]}) {
    INFO(line);
    const double stamp = stamped_at(line);
    CHECK(stamp >= before - 1);  // the file's clock may round down to the kernel's tick
    CHECK(stamp <= after + 1);
  }
}

TEST_CASE("logs --tail N prints only the last N lines, all of them with all, and refuses a bad count as docker does") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", "/bin/sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"});
  REQUIRE_THAT(sandbox.tproc({"wait", "s", id}), ExitsWith(0));
  CHECK(sandbox.tproc({"logs", "--tail", "2", "s", id}).out == "line4\nline5\n");
  CHECK(sandbox.tproc({"logs", "-n", "1", "s", id}).out == "line5\n");
  CHECK(sandbox.tproc({"logs", "--tail", "0", "s", id}).out.empty());
  CHECK(sandbox.tproc({"logs", "--tail", "all", "s", id}).out == "line1\nline2\nline3\nline4\nline5\n");
  CHECK(sandbox.tproc({"logs", "--tail", "99", "s", id}).out == "line1\nline2\nline3\nline4\nline5\n");
  CHECK_THAT(sandbox.tproc({"logs", "--tail", "-3", "s", id}), IsOneLineError().naming("--tail").because_of({"expected"}));
}

TEST_CASE("logs --since and --until keep the lines written after or before a time: a duration, RFC 3339 or Unix time") {
  Sandbox sandbox;
  const auto gate = sandbox.root() / "gate";
  const std::string id = sandbox.detach(run_args("s", gated_script("early", gate, "late")));
  REQUIRE(eventually([&] { return logs_show(sandbox, "s", id, "early"); }));
  std::this_thread::sleep_for(50ms);  // past the daemon's sampling interval: "early" is stamped before `middle`
  const double middle = now_seconds();
  std::this_thread::sleep_for(50ms);
  sandbox.write_file("gate", "");
  REQUIRE_THAT(sandbox.tproc({"wait", "s", id}), ExitsWith(0));

  const std::string offset_time = rfc3339_plus_one_hour(middle);
  const std::string unix_time = std::to_string(middle);
  for (const std::string& time : {offset_time, unix_time}) {
    INFO(time);
    CHECK(sandbox.tproc({"logs", "--since", time, "s", id}).out == "late\n");
    CHECK(sandbox.tproc({"logs", "--until", time, "s", id}).out == "early\n");
  }
  CHECK(sandbox.tproc({"logs", "--since", "10m", "s", id}).out == "early\nlate\n");
  CHECK(sandbox.tproc({"logs", "--until", "10m", "s", id}).out.empty());
  CHECK(sandbox.tproc({"logs", "--since", "2000-01-01", "s", id}).out == "early\nlate\n");
  CHECK_THAT(sandbox.tproc({"logs", "--since", "yesterday", "s", id}), IsOneLineError().naming("--since").because_of({"expected"}));
  CHECK_THAT(sandbox.tproc({"logs", "--until", "2026-13-01", "s", id}), IsOneLineError().naming("--until"));
}

TEST_CASE("logs -f follows until the program exits, then exits with its status") {
  Sandbox sandbox;
  const auto gate = sandbox.root() / "gate";
  const std::string id = sandbox.detach(run_args("s", gated_script("started", gate, "ending", 7)));
  ChildProcess follower = sandbox.start_tproc({"logs", "-f", "s", id});
  REQUIRE(follower.wait_for_output("started\n"));
  sandbox.write_file("gate", "");
  CHECK(follower.wait_for_output("ending\n"));
  CHECK_THAT(follower.wait(), ExitsWith(7));
  // Once it has exited, -f prints what it wrote and exits with the same status at once.
  Outcome again = sandbox.tproc({"logs", "-f", "s", id});
  CHECK_THAT(again, ExitsWith(7));
  CHECK(again.out == "started\nending\n");
}

TEST_CASE("logs -f of a program killed by a signal exits 128+N, even when run --rm removed its record") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"--rm", "s", "/bin/sh", "-c", "echo ready; while :; do sleep 1; done"});
  ChildProcess follower = sandbox.start_tproc({"logs", "-f", "s", id});
  REQUIRE(follower.wait_for_output("ready\n"));  // printed once it has asked the daemon to hear of the exit
  REQUIRE_THAT(sandbox.tproc({"kill", "-s", "KILL", "s", id}), ExitsWith(0));
  CHECK_THAT(follower.wait(), ExitsWith(137));
}

TEST_CASE("logs of a program that wrote without a newline ends with the unfinished line") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"s", "/bin/sh", "-c", "echo whole; printf half"});
  REQUIRE_THAT(sandbox.tproc({"wait", "s", id}), ExitsWith(0));
  CHECK(sandbox.tproc({"logs", "s", id}).out == "whole\nhalf");
  CHECK(sandbox.tproc({"logs", "--tail", "1", "s", id}).out == "half");
}

TEST_CASE("logs SPACE of an app prints every replica of every service, each line after 'name-N | '") {
  Sandbox sandbox;
  bundle_of(sandbox, "say", program("exit_with"));
  sandbox.write_file("app.yaml",
                     "name: chatty\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: say.bundle\n"
                     "    args: [\"0\", hello, complaint]\n"
                     "    replicas: 2\n"
                     "  db:\n"
                     "    bundle: say.bundle\n"
                     "    args: [\"0\", stored]\n");
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "chatty"}, {}, 30s); }
  } down{sandbox};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}, {}, 120s), ExitsWith(0));
  REQUIRE(eventually([&] {
    Outcome all = sandbox.tproc({"logs", "chatty"});
    return lines_of(all.out).size() == 3 && lines_of(all.err).size() == 2;
  }, 30s));
  Outcome all = sandbox.tproc({"logs", "chatty"});
  CHECK_THAT(all, ExitsWith(0));
  auto out = lines_of(all.out), err = lines_of(all.err);
  std::sort(out.begin(), out.end());
  std::sort(err.begin(), err.end());
  // Padded to the longest name; no color on a pipe.
  CHECK(out == std::vector<std::string>{"db-1  | stored", "web-1 | hello", "web-2 | hello"});
  CHECK(err == std::vector<std::string>{"web-1 | complaint", "web-2 | complaint"});
  // One service: its replicas only (in the order they wrote); a service of one replica, its
  // output as it wrote it.
  auto web = lines_of(sandbox.tproc({"logs", "chatty", "web"}).out);
  std::sort(web.begin(), web.end());
  CHECK(web == std::vector<std::string>{"web-1 | hello", "web-2 | hello"});
  CHECK(sandbox.tproc({"logs", "chatty", "db"}).out == "stored\n");

  // On a terminal each replica's prefix has a color of its own, as docker compose logs gives them;
  // NO_COLOR turns them off.
  Outcome colored = on_terminal(sandbox, {tproc_binary(), "logs", "chatty"});
  REQUIRE_THAT(colored, ExitsWith(0));
  for (const std::string name : {"web-1 | ", "web-2 | ", "db-1  | "}) {
    INFO(colored.out);
    const size_t at = colored.out.find(name);
    REQUIRE(at != std::string::npos);
    REQUIRE(at >= 5);
    CHECK(colored.out.compare(at - 5, 2, "\033[") == 0);  // ESC [ 3x m just before the name
    CHECK(colored.out.compare(at + name.size(), 4, "\033[0m") == 0);
  }
  CHECK(colored.out.find("\033[36m") != std::string::npos);
  CHECK(colored.out.find("\033[33m") != std::string::npos);
  Outcome plain = on_terminal(sandbox, {tproc_binary(), "logs", "chatty"}, {"NO_COLOR=1"});
  REQUIRE_THAT(plain, ExitsWith(0));
  CHECK(plain.out.find('\033') == std::string::npos);
  CHECK(plain.out.find("web-1 | hello") != std::string::npos);
}

namespace {

/// A bundle of /bin/sh, and an app.yaml whose service `web` is a script that counts its runs in
/// root()/count, prints "run N", then (for N below `last`) waits for a line on the FIFO
/// root()/gateN and exits `status`; run `last` exits `last_status` at once. `db` prints "stored".
void flapping_app(Sandbox& sandbox, const std::string& restart, int last, int status, int last_status) {
  sandbox.write_file("sh/tproc.yaml", "name: sh\nversion: 1.0.0\nentrypoint: /bin/sh\n", 0644);
  REQUIRE_THAT(sandbox.tproc({"build", "-o", "sh.bundle", "sh"}, {}, 60s), ExitsWith(0));
  const std::string root = sandbox.root().native();
  for (int gate = 1; gate < last; ++gate)
    REQUIRE(::mkfifo((root + "/gate" + std::to_string(gate)).c_str(), 0600) == 0);
  const std::string script = "n=0; [ -e " + root + "/count ] && read n < " + root + "/count; n=$((n+1)); echo $n > " + root +
                             "/count; echo run $n; [ $n -ge " + std::to_string(last) + " ] && exit " +
                             std::to_string(last_status) + "; read x < " + root + "/gate$n; exit " + std::to_string(status);
  sandbox.write_file("app.yaml",
                     "name: flap\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: sh.bundle\n"
                     "    args: [\"-c\", " + yaml_quote(script) + "]\n"
                     "    restart: " + restart + "\n"
                     "  db:\n"
                     "    bundle: sh.bundle\n"
                     "    args: [\"-c\", \"echo stored\"]\n",
                     0644);
}

/// Lets run N of flapping_app's script end (a line on its FIFO; blocks until the script reads).
void open_gate(Sandbox& sandbox, int run) {
  REQUIRE_THAT(sandbox.run_direct({"/bin/sh", "-c", "echo > " + (sandbox.root() / ("gate" + std::to_string(run))).native()}),
               ExitsWith(0));
}

}  // namespace

TEST_CASE("logs -f of an app follows a replica that restarts: each new run under the same prefix, until the app is done") {
  Sandbox sandbox;
  // Runs 1 and 2 fail, so on-failure:2 restarts twice; run 3 exits 5, and no retry is left.
  flapping_app(sandbox, "on-failure:2", 3, 1, 5);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "flap"}, {}, 30s); }
  } down{sandbox};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}, {}, 60s), ExitsWith(0));
  // Both followers start while run 1 is still waiting: what follows comes while they follow.
  ChildProcess app = sandbox.start_tproc({"logs", "-f", "flap"});
  ChildProcess service = sandbox.start_tproc({"compose", "-f", "app.yaml", "logs", "-f", "web"});
  REQUIRE(app.wait_for_output("web-1 | run 1\n", 30s));
  REQUIRE(service.wait_for_output("run 1\n", 30s));
  open_gate(sandbox, 1);
  REQUIRE(app.wait_for_output("web-1 | run 2\n", 30s));
  REQUIRE(service.wait_for_output("run 2\n", 30s));
  CHECK_FALSE(app.exited());
  CHECK_FALSE(service.exited());
  open_gate(sandbox, 2);

  // Run 3 ends the service (failed: no retries left) and db has completed: the app is done.
  const Outcome followed = app.wait(60s);
  CHECK_THAT(followed, ExitsWith(0));
  auto out = lines_of(followed.out);
  std::vector<std::string> web(out.begin(), out.end());
  web.erase(std::remove(web.begin(), web.end(), "db-1  | stored"), web.end());
  CHECK(web == std::vector<std::string>{"web-1 | run 1", "web-1 | run 2", "web-1 | run 3"});
  CHECK(std::count(out.begin(), out.end(), "db-1  | stored") == 1);
  // One service of one replica: its runs as they wrote them, and the status of the last one.
  const Outcome one = service.wait(60s);
  CHECK(one.status == 5);
  CHECK(one.out == "run 1\nrun 2\nrun 3\n");
  CHECK(one.err.empty());
}

TEST_CASE("logs -f of an app whose service restarts always ends when the app is brought down") {
  Sandbox sandbox;
  flapping_app(sandbox, "always", 99, 0, 0);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "flap"}, {}, 30s); }
  } down{sandbox};
  REQUIRE_THAT(sandbox.tproc({"up", "-d", "-f", "app.yaml"}, {}, 60s), ExitsWith(0));
  ChildProcess app = sandbox.start_tproc({"compose", "-f", "app.yaml", "logs", "-f"});
  REQUIRE(app.wait_for_output("web-1 | run 1\n", 30s));
  open_gate(sandbox, 1);  // exits 0: restart: always starts it again
  REQUIRE(app.wait_for_output("web-1 | run 2\n", 30s));
  CHECK_FALSE(app.exited());
  REQUIRE_THAT(sandbox.tproc({"down", "flap"}, {}, 30s), ExitsWith(0));
  const Outcome followed = app.wait(30s);
  CHECK_THAT(followed, ExitsWith(0));
  auto out = lines_of(followed.out);
  CHECK(std::count(out.begin(), out.end(), "web-1 | run 1") == 1);
  CHECK(std::count(out.begin(), out.end(), "web-1 | run 2") == 1);
  CHECK(std::count(out.begin(), out.end(), "web-1 | run 3") == 0);
}

TEST_CASE("logs -f of an app pads every prefix from the start to the longest name the app can have, started yet or not") {
  Sandbox sandbox;
  sandbox.write_file("sh/tproc.yaml", "name: sh\nversion: 1.0.0\nentrypoint: /bin/sh\n", 0644);
  REQUIRE_THAT(sandbox.tproc({"build", "-o", "sh.bundle", "sh"}, {}, 60s), ExitsWith(0));
  const std::string gate = (sandbox.root() / "gate").native();
  REQUIRE(::mkfifo(gate.c_str(), 0600) == 0);
  // late-worker starts only once web has completed: after `logs -f` printed web's first line.
  // Its ten replicas are named up to "late-worker-10": the longest prefix, 14 characters.
  sandbox.write_file("app.yaml",
                     "name: late\n"
                     "services:\n"
                     "  web:\n"
                     "    bundle: sh.bundle\n"
                     "    args: [\"-c\", " + yaml_quote("echo run 1; read x < " + gate) + "]\n"
                     "  late-worker:\n"
                     "    bundle: sh.bundle\n"
                     "    args: [\"-c\", \"echo late\"]\n"
                     "    replicas: 10\n"
                     "    depends_on:\n"
                     "      web: {condition: completed_successfully}\n",
                     0644);
  struct Down {
    Sandbox& sandbox;
    ~Down() { sandbox.tproc({"down", "late"}, {}, 30s); }
  } down{sandbox};
  // `up -d` returns once no service waits for another: here, once web has completed.
  ChildProcess up = sandbox.start_tproc({"up", "-d", "-f", "app.yaml"});
  REQUIRE(eventually([&] { return lines_of(sandbox.tproc({"logs", "late"}).out).size() == 1; }, 60s));
  CHECK(lines_of(sandbox.tproc({"logs", "late"}).out) == std::vector<std::string>{"web-1          | run 1"});
  ChildProcess followed = sandbox.start_tproc({"logs", "-f", "late"});
  REQUIRE(followed.wait_for_output("web-1          | run 1\n", 30s));
  REQUIRE_THAT(sandbox.run_direct({"/bin/sh", "-c", "echo > " + gate}), ExitsWith(0));
  CHECK_THAT(up.wait(60s), ExitsWith(0));

  const Outcome all = followed.wait(60s);
  CHECK_THAT(all, ExitsWith(0));
  auto out = lines_of(all.out);
  REQUIRE(out.size() == 11);
  CHECK(out[0] == "web-1          | run 1");
  std::sort(out.begin() + 1, out.end());
  CHECK(out[1] == "late-worker-1  | late");
  CHECK(out[2] == "late-worker-10 | late");
  for (size_t line = 3; line < out.size(); ++line) CHECK(out[line] == "late-worker-" + std::to_string(line - 1) + "  | late");
}

TEST_CASE("logs SPACE of a space without an app says to name a tproc") {
  Sandbox sandbox;
  sandbox.detach({"plain", program("sleeper"), "300"});
  CHECK_THAT(sandbox.tproc({"logs", "plain"}), IsOneLineError().naming("plain").because_of({"app"}));
  CHECK_THAT(sandbox.tproc({"logs", "nosuch"}), IsOneLineError().naming("nosuch"));
}
