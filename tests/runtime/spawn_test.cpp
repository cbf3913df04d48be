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

namespace {

/// What the placement test hands its child (start() takes a plain function).
struct Placement {
  std::vector<runtime::FdPlacement> fds;
} placement;

/// A file holding `text`, opened for reading at its start.
UniqueFd file_with(const std::string& text) {
  UniqueFd fd(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
  return fd;
}

}  // namespace

TEST_CASE("Descriptors are placed at their numbers even when a source number is another's target") {
  UniqueFd a = file_with("from a\n"), b = file_with("from b\n");
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  UniqueFd reader(out[0]), writer(out[1]);
  // a's file goes to b's number and b's to a's: placed naively, the first dup3 would overwrite
  // the second's source. The pipe's read end is not placed: the child must not have it.
  placement.fds = {{0, 0}, {writer.get(), 1}, {2, 2}, {a.get(), b.get()}, {b.get(), a.get()}};
  const std::string script = "cat <&" + std::to_string(b.get()) + "; cat <&" + std::to_string(a.get()) +
                             "; test -e /proc/self/fd/" + std::to_string(reader.get()) + " || echo unplaced closed";
  Started started = start("/bin/sh", {"sh", "-c", script},
                          [](runtime::LaunchScript& steps) { steps.place_fds(placement.fds); });
  writer.reset();
  runtime::ExitStatus status = wait_for(started.child);
  CHECK_FALSE(started.script->failed());
  CHECK(status.value == 0);
  std::string got(256, '\0');
  const ssize_t length = ::read(reader.get(), got.data(), got.size());
  REQUIRE(length > 0);
  got.resize(static_cast<size_t>(length));
  CHECK(got == "from a\nfrom b\nunplaced closed\n");
}
