// SeccompProfile: linux.seccomp compiled with libseccomp into the filter a container installs. Each
// compiled program is installed for real, in a forked child, and the calls it names are made there.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "oci/seccomp_profile.hpp"

using tproc::oci::SeccompProfile;
using nlohmann::json;

namespace {

SeccompProfile compiled(const std::string& text) {
  auto profile = SeccompProfile::compile(json::parse(text));
  INFO((profile ? "" : profile.error().describe()));
  REQUIRE(profile);
  return *profile;
}

std::string refusal(const std::string& text) {
  auto profile = SeccompProfile::compile(json::parse(text));
  REQUIRE_FALSE(profile);
  return profile.error().describe();
}

/// The errno `call` ends with (0: success) in a child that installed `profile`'s filter first.
int errno_under(const SeccompProfile& profile, const std::function<int()>& call) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const sock_fprog program{static_cast<unsigned short>(profile.program.size() / sizeof(sock_filter)),
                             reinterpret_cast<sock_filter*>(const_cast<char*>(profile.program.data()))};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, profile.flags, &program) < 0)
      ::_exit(255);
    ::_exit(call() < 0 ? errno : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != 255);
  return WEXITSTATUS(status);
}

std::string temporary_directory() {
  char pattern[] = "/tmp/seccomp_profile_test.XXXXXX";
  REQUIRE(::mkdtemp(pattern));
  return pattern;
}

}  // namespace

TEST_CASE("a rule with SCMP_ACT_ERRNO makes its calls fail with that errno, and the default action applies to the rest") {
  const SeccompProfile profile = compiled(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_system_call"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  CHECK(profile.program.size() % sizeof(sock_filter) == 0);
  CHECK(profile.flags == 0);
  const std::string directory = temporary_directory();
  const std::string made = directory + "/made";
  CHECK(errno_under(profile, [&] { return ::mkdir(made.c_str(), 0700); }) == EPERM);
  CHECK(errno_under(profile, [&] { return static_cast<int>(::syscall(SYS_mkdirat, AT_FDCWD, made.c_str(), 0700)); }) == EPERM);
  CHECK(errno_under(profile, [&] { return ::access(directory.c_str(), F_OK); }) == 0);
  CHECK(::rmdir(directory.c_str()) == 0);  // nothing was made in it
}

TEST_CASE("a default SCMP_ACT_ERRNO takes defaultErrnoRet, and errnoRet defaults to EPERM") {
  const SeccompProfile profile = compiled(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "syscalls": [{"names": ["exit_group", "exit", "getpid", "access"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]})");
  CHECK(errno_under(profile, [] { return ::access("/", F_OK); }) == 0);
  CHECK(errno_under(profile, [] { return static_cast<int>(::syscall(SYS_getppid)); }) == EPERM);
  CHECK(errno_under(profile, [] { return static_cast<int>(::syscall(SYS_getuid)); }) == ENOSYS);
}

TEST_CASE("conditions on different arguments all must hold, and two on one argument are alternatives, as runc adds them") {
  const SeccompProfile both = compiled(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup3"],
    "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 990, "op": "SCMP_CMP_EQ"},
                                                          {"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]}]})");
  CHECK(errno_under(both, [] { return ::dup3(990, 991, 0); }) == EACCES);
  CHECK(errno_under(both, [] { return ::dup3(990, 991, O_CLOEXEC); }) == EBADF);
  CHECK(errno_under(both, [] { return ::dup3(992, 991, 0); }) == EBADF);

  const SeccompProfile either = compiled(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup3"],
    "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 990, "op": "SCMP_CMP_EQ"},
                                         {"index": 0, "value": 992, "op": "SCMP_CMP_EQ"}]}]})");
  CHECK(errno_under(either, [] { return ::dup3(990, 991, 0); }) == EPERM);
  CHECK(errno_under(either, [] { return ::dup3(992, 991, 0); }) == EPERM);
  CHECK(errno_under(either, [] { return ::dup3(993, 991, 0); }) == EBADF);

  const SeccompProfile masked = compiled(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup3"],
    "action": "SCMP_ACT_ERRNO", "args": [{"index": 2, "value": 524288, "valueTwo": 524288, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  CHECK(errno_under(masked, [] { return ::dup3(990, 991, O_CLOEXEC); }) == EPERM);
  CHECK(errno_under(masked, [] { return ::dup3(990, 991, 0); }) == EBADF);
}

TEST_CASE("a rule that repeats the default action is dropped, and flags reach seccomp(2)") {
  const SeccompProfile profile = compiled(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ALLOW"}]})");
  CHECK(profile.flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  CHECK(errno_under(profile, [] { return static_cast<int>(::syscall(SYS_getppid)); }) == 0);
}

TEST_CASE("a profile that cannot be compiled is refused with the field that is wrong") {
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_MAYBE"})") ==
        "config.json linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})")
            .rfind("config.json linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs the one seccomp listener", 0) == 0);
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
    "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})") ==
        "config.json linux.seccomp.syscalls[0].args[0].index: not a system call argument index (0-5)");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
    "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]})")
            .rfind("config.json linux.seccomp.syscalls[0].args[0].op: not a comparison", 0) == 0);
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})") ==
        "config.json linux.seccomp.architectures: unknown architecture 'SCMP_ARCH_Z80'");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})") ==
        "config.json linux.seccomp.flags: unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"})") ==
        "config.json linux.seccomp.listenerPath: not supported by tproc-oci yet");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}]})") ==
        "config.json linux.seccomp.syscalls[0].errnoRet: not an errno (0-65535)");
  CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "mkdir", "action": "SCMP_ACT_ERRNO"}]})") ==
        "config.json linux.seccomp.syscalls[0].names: not a list of system call names");
}
