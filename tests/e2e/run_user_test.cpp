// `tproc run -u USER[:GROUP]` (issue 16): with a root daemon, the program runs as USER the way a
// direct `setpriv --reuid ... id` would -- uid, gid, groups, no capabilities, the user's own file
// permissions, HOME -- and every bad -u is one line, with the space serving on.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// `tproc run -u USER -w / s ARGS...`: "/" so the working directory is one USER may enter.
Outcome run_as(Sandbox& sandbox, const std::string& user, const std::vector<std::string>& args,
               const SpawnOptions& options = {}) {
  std::vector<std::string> command = {"run", "-u", user, "-w", "/", "s"};
  command.insert(command.end(), args.begin(), args.end());
  return sandbox.tproc(command, options);
}

/// The same program run directly through setpriv, as the reference.
Outcome setpriv(Sandbox& sandbox, const std::vector<std::string>& ids, const std::vector<std::string>& args) {
  std::vector<std::string> command = {"/usr/bin/setpriv"};
  command.insert(command.end(), ids.begin(), ids.end());
  command.insert(command.end(), args.begin(), args.end());
  return sandbox.run_direct(command, {.cwd = "/"});
}

/// A user of the test's own with two supplementary groups, removed again however the test ends.
class TestUser {
 public:
  TestUser()
      : name_("tpu" + std::to_string(::getpid())), first_(name_ + "a"), second_(name_ + "b") {
    created_ = shell("groupadd " + first_) && shell("groupadd " + second_) &&
               shell("useradd -M -d /nonexistent/" + name_ + " -s /usr/sbin/nologin -G " + first_ + "," + second_ + " " + name_);
  }
  ~TestUser() {
    shell("userdel " + name_);
    shell("groupdel " + first_);
    shell("groupdel " + second_);
  }
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  bool created() const { return created_; }
  const std::string& name() const { return name_; }
  const std::string& first_group() const { return first_; }
  const std::string& second_group() const { return second_; }

 private:
  static bool shell(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

  std::string name_, first_, second_;
  bool created_ = false;
};

}  // namespace

TEST_CASE("run -u nobody runs the program as nobody, as setpriv would, with nobody's HOME and names") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  Sandbox sandbox;
  const Outcome as_nobody = run_as(sandbox, "nobody", {"/usr/bin/id"});
  REQUIRE_THAT(as_nobody, ExitsWith(0));
  const Outcome direct = setpriv(sandbox, {"--reuid=nobody", "--regid=nogroup", "--clear-groups"}, {"/usr/bin/id"});
  REQUIRE_THAT(direct, ExitsWith(0));
  CHECK(as_nobody.out == direct.out);
  CHECK(contains(as_nobody.out, "uid=65534(nobody) gid=65534(nogroup)"));

  const Outcome env = run_as(sandbox, "nobody", {"/usr/bin/env"}, {.extra_env = {"USER=root", "LOGNAME=root", "HOME=/root"}});
  REQUIRE_THAT(env, ExitsWith(0));
  CHECK(contains(env.out, "\nHOME=/nonexistent\n"));
  CHECK(contains(env.out, "\nUSER=nobody\n"));
  CHECK(contains(env.out, "\nLOGNAME=nobody\n"));
  // -e still has the last word.
  CHECK(contains(sandbox.tproc({"run", "-u", "nobody", "-w", "/", "-e", "HOME=/tmp", "s", "/usr/bin/env"}).out, "\nHOME=/tmp\n"));
}

TEST_CASE("run -u UID:GID takes numbers, and a uid without a passwd entry gets gid 0 as with docker") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  Sandbox sandbox;
  const Outcome numbers = run_as(sandbox, "65534:65534", {"/usr/bin/id"});
  REQUIRE_THAT(numbers, ExitsWith(0));
  CHECK(numbers.out == setpriv(sandbox, {"--reuid=65534", "--regid=65534", "--clear-groups"}, {"/usr/bin/id"}).out);
  // No passwd entry: docker's gid 0, no name, HOME=/; USER and LOGNAME are not the caller's.
  const Outcome unnamed = run_as(sandbox, "4321", {"/usr/bin/id"});
  REQUIRE_THAT(unnamed, ExitsWith(0));
  CHECK(unnamed.out == "uid=4321 gid=0(root) groups=0(root)\n");
  const Outcome env = run_as(sandbox, "4321:4322", {"/usr/bin/env"}, {.extra_env = {"USER=root", "LOGNAME=root"}});
  REQUIRE_THAT(env, ExitsWith(0));
  CHECK(contains(env.out, "\nHOME=/\n"));
  CHECK_FALSE(contains(env.out, "USER="));
  CHECK_FALSE(contains(env.out, "LOGNAME="));
  CHECK(run_as(sandbox, "4321:4322", {"/usr/bin/id", "-g"}).out == "4322\n");
}

TEST_CASE("run -u USER gives a named user's supplementary groups, and USER:GROUP that group alone") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  TestUser user;
  REQUIRE(user.created());
  Sandbox sandbox;
  const Outcome named = run_as(sandbox, user.name(), {"/usr/bin/id"});
  REQUIRE_THAT(named, ExitsWith(0));
  CHECK(named.out == setpriv(sandbox, {"--reuid=" + user.name(), "--regid=" + user.name(), "--init-groups"}, {"/usr/bin/id"}).out);
  CHECK(contains(named.out, "(" + user.first_group() + ")"));
  CHECK(contains(named.out, "(" + user.second_group() + ")"));
  const Outcome one_group = run_as(sandbox, user.name() + ":" + user.second_group(), {"/usr/bin/id"});
  REQUIRE_THAT(one_group, ExitsWith(0));
  CHECK(one_group.out ==
        setpriv(sandbox, {"--reuid=" + user.name(), "--regid=" + user.second_group(), "--clear-groups"}, {"/usr/bin/id"}).out);
  CHECK_FALSE(contains(one_group.out, "(" + user.first_group() + ")"));
}

TEST_CASE("run -u nobody has no capabilities and no_new_privs, and root's files stay closed to it") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  Sandbox sandbox;
  const Outcome status = run_as(sandbox, "nobody", {"/bin/grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"});
  REQUIRE_THAT(status, ExitsWith(0));
  CHECK(lines(status.out) == std::vector<std::string>{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000",
                                                      "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000",
                                                      "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"});
  // A file only root may read: refused to the program itself, which ends as it would directly.
  const std::string secret = sandbox.write_file("secret", "root only\n", 0600);
  std::filesystem::permissions(sandbox.root(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  const Outcome refused = run_as(sandbox, "nobody", {"/bin/cat", secret});
  const Outcome direct = setpriv(sandbox, {"--reuid=nobody", "--regid=nogroup", "--clear-groups"}, {"/bin/cat", secret});
  CHECK(refused.status == 1);
  CHECK(refused.status == direct.status);
  CHECK(refused.err == direct.err);
  CHECK(contains(refused.err, "Permission denied"));
  // root keeps its capabilities, as with docker's -u root.
  const Outcome root = run_as(sandbox, "root", {"/bin/grep", "^CapEff", "/proc/self/status"});
  const Outcome unchanged = sandbox.tproc({"run", "s", "/bin/grep", "^CapEff", "/proc/self/status"});
  REQUIRE_THAT(root, ExitsWith(0));
  CHECK(root.out == unchanged.out);
}

TEST_CASE("run -u checks the working directory and the program with the user's rights") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  Sandbox sandbox;
  // The sandbox's directory is root's alone (mode 0700).
  CHECK_THAT(sandbox.tproc({"run", "-u", "nobody", "-w", sandbox.root().native(), "s", "/bin/true"}),
             IsOneLineError().naming("chdir " + sandbox.root().native()).because_of({"Permission denied"}));
  std::filesystem::permissions(sandbox.root(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  std::filesystem::copy_file("/bin/true", sandbox.root() / "roots-true");
  ::chmod((sandbox.root() / "roots-true").c_str(), 0700);
  const Outcome program = run_as(sandbox, "nobody", {(sandbox.root() / "roots-true").native()});
  CHECK_THAT(program, IsOneLineError().naming((sandbox.root() / "roots-true").native()).because_of({"Permission denied"}));
  CHECK(program.status == 126);
}

TEST_CASE("a bad -u is refused in one line, and the space serves on with its own user") {
  if (::geteuid() != 0) {
    WARN("not root: -u needs a root daemon; skipped");
    return;
  }
  Sandbox sandbox;
  const std::string sibling = sandbox.detach({"s", program("sleeper"), "60"});
  CHECK_THAT(sandbox.tproc({"run", "-u", "nosuchuser", "s", "/bin/true"}),
             IsOneLineError().naming("-u nosuchuser").because_of({"no such user"}));
  CHECK_THAT(sandbox.tproc({"run", "-u", "nobody:nosuchgroup", "s", "/bin/true"}),
             IsOneLineError().naming("-u nobody:nosuchgroup").because_of({"no such group"}));
  CHECK_THAT(sandbox.tproc({"run", "-u", ":nogroup", "s", "/bin/true"}), IsOneLineError().naming("-u :nogroup").because_of({"user"}));
  CHECK_THAT(sandbox.tproc({"run", "-u", "nobody:", "s", "/bin/true"}), IsOneLineError().naming("-u nobody:").because_of({"group"}));
  // (uid_t)-1 would mean "unchanged" to setresuid.
  CHECK_THAT(sandbox.tproc({"run", "-u", "4294967295", "s", "/bin/true"}),
             IsOneLineError().naming("-u 4294967295").because_of({"range"}));
  const std::string bundle = bundle_of(sandbox, "plain", "/bin/true");
  CHECK_THAT(sandbox.tproc({"run", "-u", "nobody", "s", bundle}), IsOneLineError().naming("-u nobody").because_of({"bundle"}));
  // The others run on, as root.
  CHECK(sandbox.tproc_info("s", sibling).state == "running");
  CHECK(sandbox.tproc({"run", "s", "/usr/bin/id", "-u"}).out == "0\n");
  CHECK(run_as(sandbox, "nobody", {"/usr/bin/id", "-u"}).out == "65534\n");
  CHECK(sandbox.tproc({"run", "s", "/usr/bin/id", "-u"}).out == "0\n");
}

TEST_CASE("after a -u run the space no longer dumps core, and tproc debug still attaches to a sibling") {
  if (::geteuid() != 0 || std::system("gdb --version >/dev/null 2>&1") != 0) {
    WARN("not root, or no gdb: skipped");
    return;
  }
  Sandbox sandbox;
  const std::string sibling = sandbox.detach({"s", program("sleeper"), "60"});
  CHECK(sandbox.tproc({"run", "s", program("print_dumpable")}).out == "1\n");
  REQUIRE_THAT(run_as(sandbox, "nobody", {"/bin/true"}), ExitsWith(0));
  // One uid change in the shared mm made it non-dumpable (fs.suid_dumpable 0), for every program
  // of the space from then on, and nothing sets it back.
  if (read_file("/proc/sys/fs/suid_dumpable") == "0\n") CHECK(sandbox.tproc({"run", "s", program("print_dumpable")}).out == "0\n");
  // root's gdb still attaches (CAP_SYS_PTRACE does not ask whether the mm is dumpable).
  const Outcome debug = sandbox.tproc({"debug", "s", sibling, "--", "-nx", "-batch", "-ex", "info threads", "-ex", "detach"},
                                      {}, 60s);
  INFO(debug);
  CHECK_THAT(debug, ExitsWith(0));
  CHECK(contains(debug.out, "(LWP " + std::to_string(sandbox.tproc_info("s", sibling).pid) + ")"));
  CHECK(sandbox.tproc_info("s", sibling).state == "running");
}
