// Spawning a real program into this process's own address space, the way the daemon does.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loader/program_loader.hpp"
#include "runtime/spawn.hpp"

using namespace tproc;

namespace {

struct Started {
  loader::LoadedProgram program;
  std::unique_ptr<runtime::LaunchScript> script;
  runtime::Child child;
};

Started start(const std::string& path, std::vector<std::string> argv,
              void (*configure)(runtime::LaunchScript&) = nullptr) {
  static const loader::HostAuxv host = *loader::HostAuxv::read_self();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  loader::ProgramSpec spec;
  spec.executable = &fd;
  spec.execfn = path;
  spec.argv = std::move(argv);
  spec.envp = {"PATH=/usr/bin:/bin"};
  auto program = loader::load_program(spec, host);
  REQUIRE(program.has_value());
  auto script = std::make_unique<runtime::LaunchScript>();
  if (configure) configure(*script);
  script->clear_signal_mask();
  auto child = runtime::spawn_in_space(*script, {program->entry, program->stack_pointer, program->stack.base()});
  REQUIRE(child.has_value());
  return Started{std::move(*program), std::move(script), std::move(*child)};
}

runtime::ExitStatus wait_for(runtime::Child& child) {
  pollfd waiter{child.pidfd(), POLLIN, 0};
  REQUIRE(::poll(&waiter, 1, 10000) == 1);
  auto status = child.try_reap();
  REQUIRE(status.has_value());
  REQUIRE(status->has_value());
  return **status;
}

}  // namespace

TEST_CASE("A dynamically linked host program runs in this address space and its exit status comes back") {
  Started started = start("/bin/sh", {"sh", "-c", "exit 3"});
  runtime::ExitStatus status = wait_for(started.child);
  CHECK_FALSE(status.killed);
  CHECK(status.value == 3);
  CHECK_FALSE(started.script->failed());
}

TEST_CASE("A program killed by a signal reports the signal") {
  Started started = start("/bin/sh", {"sh", "-c", "kill -SEGV $$"});
  runtime::ExitStatus status = wait_for(started.child);
  CHECK(status.killed);
  CHECK(status.value == SIGSEGV);
  CHECK(status.shell_status() == 128 + SIGSEGV);
}

TEST_CASE("A failing launch step is reported with its errno and exit status 127") {
  Started started = start("/bin/sh", {"sh", "-c", "exit 0"},
                          [](runtime::LaunchScript& script) { script.change_directory("/nonexistent/dir"); });
  runtime::ExitStatus status = wait_for(started.child);
  CHECK(status.value == 127);
  REQUIRE(started.script->failed());
  CHECK(started.script->failed_errno() == ENOENT);
  CHECK(started.script->failed_step() == "chdir /nonexistent/dir");
}

TEST_CASE("Destroying a running child kills and reaps it") {
  pid_t pid = 0;
  {
    Started started = start("/bin/sh", {"sh", "-c", "sleep 30"});
    pid = started.child.pid();
    CHECK(::kill(pid, 0) == 0);
  }
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}
