// Trusting the runtime dir and TPROC_HOME (issue 14, security items 1-3): a client sends its argv,
// whole environment, executable and terminal to whatever listens at the runtime path, and a root
// daemon creates files there and under TPROC_HOME. Each case plants what another user could (a
// socket of theirs, a directory they can write, a symlink) and checks that both doors refuse
// before anything is sent, with one line naming the path, and that nothing planted was followed.
//
// "Another user" is uid 65534, run through setpriv or by chown: these tests need root.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kOther = 65534;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// `tproc run` through the front door and through the full CLI alone, with `env` added.
std::vector<Outcome> run_both(Sandbox& sandbox, const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> full = {full_cli_binary(), "run"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<std::string> front = {"run"};
  front.insert(front.end(), args.begin(), args.end());
  return {sandbox.tproc(front, {.extra_env = env}), sandbox.run_direct(full, {.extra_env = env})};
}

/// A fake daemon listening on `socket` (tests/programs/squat_listener.c), logging what it gets.
ChildProcess start_squatter(Sandbox& sandbox, const fs::path& socket, const fs::path& log, bool as_other) {
  std::vector<std::string> argv;
  if (as_other)
    argv = {"/usr/bin/setpriv", "--reuid=" + std::to_string(kOther), "--regid=" + std::to_string(kOther), "--clear-groups",
            program("squat_listener"), socket.native(), log.native()};
  else  // binds as root, listens as the other uid: SO_PEERCRED names them
    argv = {program("squat_listener"), socket.native(), log.native(), std::to_string(kOther)};
  ChildProcess squatter = sandbox.start_direct(argv);
  if (!squatter.wait_for_output("listening\n")) throw std::runtime_error("the squatter did not listen: " + squatter.err());
  return squatter;
}

/// Removes space `s` of another runtime dir when the test ends, however it ends (the sandbox
/// cleans up only its own).
struct SpaceRemover {
  Sandbox& sandbox;
  std::string runtime;
  ~SpaceRemover() {
    try {
      sandbox.tproc({"space", "rm", "-f", "s"}, {.extra_env = {runtime}});
    } catch (...) {
    }
  }
};

std::string file_or_empty(const fs::path& path) { return fs::exists(path) ? read_file(path) : std::string(); }

/// Makes `path` a directory with `mode`, owned by `uid`.
void make_dir(const fs::path& path, mode_t mode, uid_t uid = 0) {
  fs::create_directories(path);
  REQUIRE(::chown(path.c_str(), uid, uid) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("a socket in a runtime dir another user owns is sent nothing: not the environment, not the terminal") {
  Sandbox sandbox;
  if (::geteuid() != 0) {
    WARN("needs root to act as another user");
    return;
  }
  REQUIRE(::chmod(sandbox.root().c_str(), 0711) == 0);  // the other user may reach what is theirs inside
  const fs::path theirs = sandbox.root() / "theirs";
  make_dir(theirs, 0700, kOther);
  ChildProcess squatter = start_squatter(sandbox, theirs / "s.sock", theirs / "got", true);

  for (const Outcome& outcome :
       run_both(sandbox, {"s", program("exit_with"), "0"}, {"TPROC_RUNTIME_DIR=" + theirs.native(), "SECRET=hunter2"})) {
    CHECK_THAT(outcome, IsOneLineError().naming(theirs.native()).because_of({"owned"}));
    CHECK(outcome.status == 125);
    CHECK(contains(outcome.err, "uid 65534"));
  }
  // Nor do the other verbs talk to it.
  CHECK_THAT(sandbox.tproc({"ps", "s"}, {.extra_env = {"TPROC_RUNTIME_DIR=" + theirs.native()}}),
             IsOneLineError().naming(theirs.native()));
  CHECK(file_or_empty(theirs / "got").empty());
}

TEST_CASE("a socket that another uid serves in a private runtime dir is sent nothing (SO_PEERCRED)") {
  Sandbox sandbox;
  if (::geteuid() != 0) {
    WARN("needs root to act as another user");
    return;
  }
  const fs::path log_dir = sandbox.root() / "log";
  make_dir(log_dir, 0700, kOther);
  REQUIRE(::chmod(sandbox.root().c_str(), 0711) == 0);
  ChildProcess squatter = start_squatter(sandbox, sandbox.runtime_dir() / "s.sock", log_dir / "got", false);

  for (const Outcome& outcome : run_both(sandbox, {"s", program("exit_with"), "0"}, {"SECRET=hunter2"})) {
    CHECK_THAT(outcome, IsOneLineError().naming((sandbox.runtime_dir() / "s.sock").native()).because_of({"served"}));
    CHECK(outcome.status == 125);
    CHECK(contains(outcome.err, "uid 65534"));
  }
  CHECK_THAT(sandbox.tproc({"ps", "s"}), IsOneLineError().because_of({"served"}));
  CHECK_FALSE(contains(file_or_empty(log_dir / "got"), "bytes"));
}

TEST_CASE("a runtime dir others can write, or one below such a directory, is refused, but one below a sticky directory is not") {
  Sandbox sandbox;
  const fs::path open_dir = sandbox.root() / "open";
  make_dir(open_dir, 0777);
  for (const Outcome& outcome : run_both(sandbox, {"s", program("exit_with"), "0"}, {"TPROC_RUNTIME_DIR=" + open_dir.native()})) {
    CHECK_THAT(outcome, IsOneLineError().naming(open_dir.native()).because_of({"writable"}));
    CHECK(outcome.status == 125);
  }
  const fs::path below = open_dir / "rt";
  make_dir(below, 0700);
  for (const Outcome& outcome : run_both(sandbox, {"s", program("exit_with"), "0"}, {"TPROC_RUNTIME_DIR=" + below.native()})) {
    CHECK_THAT(outcome, IsOneLineError().naming(open_dir.native()).because_of({"writable"}));
  }
  CHECK(fs::is_empty(below));  // no daemon was started there

  // What /tmp/tproc-UID/tproc is for a user without XDG_RUNTIME_DIR: under a sticky directory.
  const fs::path sticky = sandbox.root() / "sticky";
  make_dir(sticky, 01777);
  const std::string runtime = "TPROC_RUNTIME_DIR=" + (sticky / "tproc-0" / "tproc").native();
  SpaceRemover remover{sandbox, runtime};
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "3"}, {.extra_env = {runtime}}), ExitsWith(3));
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "4"}, {.extra_env = {runtime}}), ExitsWith(4));
  CHECK((fs::status(sticky / "tproc-0").permissions() & fs::perms::all) == fs::perms::owner_all);
}

TEST_CASE("a symlinked runtime dir is refused and its target left as it was") {
  Sandbox sandbox;
  const fs::path target = sandbox.root() / "target";
  make_dir(target, 0755);
  const fs::path link = sandbox.root() / "link";
  fs::create_directory_symlink(target, link);
  for (const Outcome& outcome : run_both(sandbox, {"s", program("exit_with"), "0"}, {"TPROC_RUNTIME_DIR=" + link.native()})) {
    CHECK_THAT(outcome, IsOneLineError().naming(link.native()).because_of({"symlink"}));
  }
  // The daemon itself, started by hand, does not follow it either.
  CHECK(sandbox.run_direct({full_cli_binary(), "daemon", "s"}, {.extra_env = {"TPROC_RUNTIME_DIR=" + link.native()}}).status != 0);
  CHECK((fs::status(target).permissions() & fs::perms::all) == (fs::perms::owner_all | fs::perms::group_read |
                                                                fs::perms::group_exec | fs::perms::others_read |
                                                                fs::perms::others_exec));
  CHECK(fs::is_empty(target));
}

TEST_CASE("a lock file planted as a symlink is not followed: its target keeps its contents") {
  Sandbox sandbox;
  const std::string precious = sandbox.write_file("precious", "root's data\n", 0600);
  fs::create_symlink(precious, sandbox.runtime_dir() / "s.lock");
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}),
             IsOneLineError().naming((sandbox.runtime_dir() / "s.lock").native()).because_of({"symlink"}));
  CHECK(read_file(precious) == "root's data\n");
}

TEST_CASE("a TPROC_HOME that others can write, or that another user owns, is refused") {
  Sandbox sandbox;
  REQUIRE(::chmod(sandbox.home_dir().c_str(), 0777) == 0);
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}),
             IsOneLineError().naming(sandbox.home_dir().native()).because_of({"writable"}));
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "spaces"));
  if (::geteuid() == 0) {
    REQUIRE(::chmod(sandbox.home_dir().c_str(), 0755) == 0);
    REQUIRE(::chown(sandbox.home_dir().c_str(), kOther, kOther) == 0);
    CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}),
               IsOneLineError().naming(sandbox.home_dir().native()).because_of({"owned"}));
    REQUIRE(::chown(sandbox.home_dir().c_str(), 0, 0) == 0);
  }
  REQUIRE(::chmod(sandbox.home_dir().c_str(), 0755) == 0);
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "5"}), ExitsWith(5));
}

TEST_CASE("a detached program's log planted as a symlink is not followed: its target keeps its contents") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));  // the space and its log dir exist
  const std::string precious = sandbox.write_file("precious", "root's data\n", 0600);
  const fs::path logs = sandbox.home_dir() / "spaces" / "s" / "logs";
  REQUIRE(fs::is_directory(logs));
  for (int id = 1; id <= 20; ++id) fs::create_symlink(precious, logs / (std::to_string(id) + ".log"));
  CHECK_THAT(sandbox.tproc({"run", "-d", "s", program("exit_with"), "0", "written"}),
             IsOneLineError().naming(".log").because_of({"symbolic", "symlink", "links"}));
  CHECK(read_file(precious) == "root's data\n");
}
