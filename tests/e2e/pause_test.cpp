// tproc pause / unpause (issue 15): every thread of the chosen tprocs stops where it is, with no
// signal the program could see, while its siblings keep running; ps and stats say "paused".

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// How many lines tproc `id` has logged.
size_t lines_logged(Sandbox& sandbox, const std::string& space, const std::string& id) {
  const std::string out = sandbox.tproc({"logs", space, id}).out;
  size_t lines = 0;
  for (char c : out) lines += c == '\n';
  return lines;
}

void wait_for_log(Sandbox& sandbox, const std::string& space, const std::string& id, const std::string& text) {
  REQUIRE(eventually([&] { return sandbox.tproc({"logs", space, id}).out.find(text) != std::string::npos; }));
}

}  // namespace

TEST_CASE("pause stops a tproc while its sibling keeps running, and unpause resumes it") {
  Sandbox sandbox;
  const std::string paused = sandbox.detach({"p", program("pause_probe"), "tick"});
  const std::string sibling = sandbox.detach({"p", program("pause_probe"), "tick"});
  REQUIRE(eventually([&] { return lines_logged(sandbox, "p", paused) > 0 && lines_logged(sandbox, "p", sibling) > 0; }));

  REQUIRE_THAT(sandbox.tproc({"pause", "p", paused}), ExitsWith(0));
  CHECK(sandbox.tproc_info("p", paused).state == "paused");
  CHECK(sandbox.tproc_info("p", sibling).state == "running");
  CHECK(sandbox.tproc({"ps", "p", "-q", "--filter", "status=paused"}).out == paused + "\n");
  CHECK(sandbox.tproc({"ps", "p", "-q", "--filter", "status=running"}).out == sibling + "\n");
  const Json stats = Json::parse(sandbox.tproc({"stats", "p", "--no-stream", "--format", "json"}).out);
  for (const Json& row : stats.at("tprocs").items())
    CHECK(row.at("state").str() == (row.at("id").text() == paused ? "paused" : "running"));

  // While the sibling logs many more ticks, the paused one logs none.
  const size_t frozen_at = lines_logged(sandbox, "p", paused);
  const size_t sibling_at = lines_logged(sandbox, "p", sibling);
  REQUIRE(eventually([&] { return lines_logged(sandbox, "p", sibling) >= sibling_at + 20; }));
  CHECK(lines_logged(sandbox, "p", paused) == frozen_at);

  REQUIRE_THAT(sandbox.tproc({"unpause", "p", paused}), ExitsWith(0));
  CHECK(sandbox.tproc_info("p", paused).state == "running");
  CHECK(eventually([&] { return lines_logged(sandbox, "p", paused) > frozen_at + 5; }));
}

TEST_CASE("a paused program's sleep and read go on after unpause with no EINTR and no SIGCONT") {
  Sandbox sandbox;
  const std::string fifo = (sandbox.root() / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string sleeper = sandbox.detach({"q", program("pause_probe"), "sleep", "1"});
  const std::string reader = sandbox.detach({"q", program("pause_probe"), "read", fifo});
  wait_for_log(sandbox, "q", sleeper, "ready");
  wait_for_log(sandbox, "q", reader, "ready");

  REQUIRE_THAT(sandbox.tproc({"pause", "q"}), ExitsWith(0));  // no ID: every tproc of the space
  CHECK(sandbox.tproc_info("q", sleeper).state == "paused");
  CHECK(sandbox.tproc_info("q", reader).state == "paused");
  // The data is there while the reader is frozen, and its sleep runs out meanwhile.
  const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  REQUIRE(writer >= 0);
  REQUIRE(::write(writer, "hello", 5) == 5);
  std::this_thread::sleep_for(1500ms);
  CHECK(sandbox.tproc({"logs", "q", sleeper}).out == "ready\n");
  CHECK(sandbox.tproc({"logs", "q", reader}).out == "ready\n");

  REQUIRE_THAT(sandbox.tproc({"unpause", "q"}), ExitsWith(0));
  wait_for_log(sandbox, "q", sleeper, "sigcont");
  wait_for_log(sandbox, "q", reader, "sigcont");
  ::close(writer);
  CHECK(sandbox.tproc({"logs", "q", sleeper}).out == "ready\nsleep: ok\nsigcont 0\n");
  CHECK(sandbox.tproc({"logs", "q", reader}).out == "ready\nread: hello\nsigcont 0\n");
}

TEST_CASE("a paused tproc can be killed, and a space with paused tprocs can be removed") {
  Sandbox sandbox;
  const std::string first = sandbox.detach({"k", program("sleeper"), "60"});
  const std::string second = sandbox.detach({"k", program("sleeper"), "60"});
  wait_for_log(sandbox, "k", first, "sleeping");
  wait_for_log(sandbox, "k", second, "sleeping");
  REQUIRE_THAT(sandbox.tproc({"pause", "k", first, second}), ExitsWith(0));
  REQUIRE_THAT(sandbox.tproc({"kill", "-s", "KILL", "k", first}), ExitsWith(0));
  CHECK(eventually([&] { return sandbox.tproc_info("k", first, true).state == "exited"; }));
  REQUIRE_THAT(sandbox.tproc({"space", "rm", "-f", "k"}), ExitsWith(0));
}

TEST_CASE("pause and unpause refuse bad targets with one line, touching nothing") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"b", program("sleeper"), "60"});
  wait_for_log(sandbox, "b", id, "sleeping");
  CHECK_THAT(sandbox.tproc({"pause", "b", id, "nosuch"}), IsOneLineError().naming("nosuch"));
  CHECK(sandbox.tproc_info("b", id).state == "running");  // the good target was not paused either
  CHECK_THAT(sandbox.tproc({"pause", "nowhere"}), IsOneLineError().naming("nowhere"));
  CHECK_THAT(sandbox.tproc({"pause"}), IsOneLineError().naming("pause"));
  CHECK(sandbox.tproc_info("b", id).state == "running");
}

TEST_CASE("pause of a paused tproc and unpause of a running one are refused in one line, as docker does") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"b", program("sleeper"), "60"});
  const std::string other = sandbox.detach({"b", program("sleeper"), "60"});
  wait_for_log(sandbox, "b", id, "sleeping");
  wait_for_log(sandbox, "b", other, "sleeping");
  CHECK_THAT(sandbox.tproc({"unpause", "b", id}), IsOneLineError().naming("unpause: tproc " + id + " (sleeper) is not paused"));
  CHECK(sandbox.tproc_info("b", id).state == "running");

  REQUIRE_THAT(sandbox.tproc({"pause", "b", id}), ExitsWith(0));
  CHECK_THAT(sandbox.tproc({"pause", "b", id}), IsOneLineError().naming("pause: tproc " + id + " (sleeper) is already paused"));
  CHECK(sandbox.tproc_info("b", id).state == "paused");
  // Every target is checked before any is touched: the running one named with it stays running.
  CHECK_THAT(sandbox.tproc({"pause", "b", other, id}), IsOneLineError().naming("tproc " + id + " (sleeper) is already paused"));
  CHECK(sandbox.tproc_info("b", other).state == "running");
  // With no target, pause takes the ones not yet paused, and unpause the paused ones.
  REQUIRE_THAT(sandbox.tproc({"pause", "b"}), ExitsWith(0));
  CHECK(sandbox.tproc_info("b", other).state == "paused");
  REQUIRE_THAT(sandbox.tproc({"unpause", "b", id}), ExitsWith(0));
  CHECK_THAT(sandbox.tproc({"unpause", "b", id, other}), IsOneLineError().naming("tproc " + id + " (sleeper) is not paused"));
  CHECK(sandbox.tproc_info("b", other).state == "paused");
  REQUIRE_THAT(sandbox.tproc({"unpause", "b"}), ExitsWith(0));
  CHECK(sandbox.tproc_info("b", other).state == "running");
  CHECK(sandbox.tproc_info("b", id).state == "running");
}

TEST_CASE("stop of a paused tproc thaws it after SIGTERM, so its SIGTERM handler runs and not SIGKILL") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"t", program("pause_probe"), "term", "3"});
  wait_for_log(sandbox, "t", id, "ready");
  REQUIRE_THAT(sandbox.tproc({"pause", "t", id}), ExitsWith(0));
  REQUIRE(sandbox.tproc_info("t", id).state == "paused");

  REQUIRE_THAT(sandbox.tproc({"stop", "t", id}), ExitsWith(0));
  // 3 is what its handler exits with; SIGKILL at the end of the grace period would be 137.
  const Outcome waited = sandbox.tproc({"wait", "t", id});
  REQUIRE_THAT(waited, ExitsWith(0));
  CHECK(waited.out == "3\n");
  CHECK(sandbox.tproc_info("t", id, true).state == "exited");
}

namespace {

/// A space whose daemon runs as uid 65534 (nobody), started and removed through setpriv; its
/// runtime dir and home are inside the sandbox, which goes with them.
class OtherUsersSpace {
 public:
  OtherUsersSpace(Sandbox& sandbox, std::string space) : sandbox_(sandbox), space_(std::move(space)) {
    REQUIRE(::chmod(sandbox.root().c_str(), 0711) == 0);  // the other user may reach what is theirs inside
    for (const char* dir : {"theirs", "theirs/runtime", "theirs/home"}) {
      const std::string path = (sandbox.root() / dir).native();
      REQUIRE(::mkdir(path.c_str(), 0700) == 0);
      REQUIRE(::chown(path.c_str(), kOther, kOther) == 0);
    }
  }
  OtherUsersSpace(const OtherUsersSpace&) = delete;
  OtherUsersSpace& operator=(const OtherUsersSpace&) = delete;
  ~OtherUsersSpace() { tproc({"space", "rm", "-f", space_}); }

  /// `tproc ARGS...` as uid 65534, from / (which that user may enter).
  Outcome tproc(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", tproc_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string theirs = (sandbox_.root() / "theirs").native();
    return sandbox_.run_direct(argv, {.extra_env = {"TPROC_RUNTIME_DIR=" + theirs + "/runtime", "TPROC_HOME=" + theirs + "/home",
                                                    "HOME=" + theirs + "/home"},
                                      .cwd = "/"});
  }

 private:
  static constexpr uid_t kOther = 65534;
  Sandbox& sandbox_;
  std::string space_;
};

}  // namespace

TEST_CASE("pause in a space whose daemon is not root fails with one line saying so, and the program runs on") {
  Sandbox sandbox;
  if (::geteuid() != 0) {
    WARN("needs root to start a daemon as another user");
    return;
  }
  OtherUsersSpace space(sandbox, "u");
  const Outcome started = space.tproc({"run", "-d", "u", "/bin/sleep", "60"});
  REQUIRE_THAT(started, ExitsWith(0));
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const Outcome paused = space.tproc({"pause", "u", id});
  CHECK_THAT(paused, IsOneLineError().naming("uid 65534").naming("freezer cgroup").because_of({"not root"}));
  CHECK(paused.err.find("denied: Permission denied") == std::string::npos);  // the reason once
  const Outcome listed = space.tproc({"ps", "u", "-q", "--filter", "status=running"});
  CHECK(listed.out == id + "\n");
}
