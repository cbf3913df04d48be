// Tprocs are processes, not threads: these tests run the registry between processes that share one
// mm, made with clone(CLONE_VM) as the daemon makes tprocs. The children run only libtproc's
// lock-free code and raw system calls (no malloc, no Catch2): they share the parent thread's TLS.
//
// Not under ThreadSanitizer: its runtime keeps per-thread state that a clone(CLONE_VM) child would
// share with its parent unannounced (it crashes). The same code runs under TSan between threads
// in the other registry tests.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "reaped_child.hpp"
#include "test_space.hpp"
#include "tproc/tproc.h"

using tproc::registry::testing::TestSpace;

#if defined(__SANITIZE_THREAD__)
TEST_CASE("processes sharing one mm (skipped under ThreadSanitizer)") { WARN("skipped: TSan cannot follow clone(CLONE_VM)"); }
#else
namespace {

/// A child process in this address space (CLONE_VM, not CLONE_THREAD: its own pid), running
/// `body(argument)` on its own stack.
class VmChild {
 public:
  VmChild(int (*body)(void*), void* argument)
      : stack_(mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)),
        child_(stack_ == MAP_FAILED ? -1 : clone(body, static_cast<char*>(stack_) + kStackBytes, CLONE_VM | SIGCHLD, argument)) {
    REQUIRE(stack_ != MAP_FAILED);
    REQUIRE(child_.pid() > 0);
  }
  ~VmChild() {
    child_.end();  // before its stack goes
    munmap(stack_, kStackBytes);
  }
  pid_t pid() const { return child_.pid(); }
  /// Reaps the child: its wait status.
  int wait() { return child_.wait(); }

 private:
  static constexpr size_t kStackBytes = 256 << 10;
  void* stack_;
  tproc::registry::testing::ReapedChild child_;
};

/// What a child reports back (in memory both processes see).
struct Shared {
  std::atomic<int> stage{0};
  std::atomic<int> result{1};
  std::atomic<long> pid{0};
  void* address = nullptr;
  char auxv[4096];
  std::atomic<long> auxv_bytes{0};
};

int wait_for_endpoint(void* argument) {
  auto* shared = static_cast<Shared*>(argument);
  shared->pid = syscall(SYS_getpid);
  shared->result = tproc_wait("published-later", 10'000, &shared->address);
  return 0;
}

int publish_and_hang(void* argument) {
  auto* shared = static_cast<Shared*>(argument);
  shared->pid = syscall(SYS_getpid);
  shared->result = tproc_publish("child/service", shared, 1);
  shared->stage = 1;
  for (;;) pause();  // until killed
}

int die_holding_the_writer_lock(void* argument) {
  auto* shared = static_cast<Shared*>(argument);
  // Freeze what a kill -9 in the middle of a publication leaves: the lock held by this pid, one
  // slot half-written.
  auto* header = static_cast<tproc::registry::RegistryHeader*>(shared->address);
  const int32_t self = static_cast<int32_t>(syscall(SYS_getpid));
  int32_t free_lock = 0;
  while (!header->writer.compare_exchange_weak(free_lock, self)) free_lock = 0;
  tproc::registry::Entry& entry = tproc::registry::entries_of(header)[5];
  header->writing_slot.store(5);
  entry.seq.fetch_add(1);
  entry.owner.store(self);
  shared->pid = self;
  shared->stage = 1;
  for (;;) pause();
}

int read_own_auxv(void* argument) {
  auto* shared = static_cast<Shared*>(argument);
  const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/self/auxv", O_RDONLY));
  if (fd >= 0) {
    shared->auxv_bytes = syscall(SYS_read, fd, shared->auxv, sizeof(shared->auxv));
    syscall(SYS_close, fd);
  }
  return 0;
}

}  // namespace

TEST_CASE("a tproc_wait in another process of the space wakes on a publish (private futexes work across tprocs)") {
  TestSpace space;
  Shared shared;
  VmChild child(wait_for_endpoint, &shared);
  while (space.header()->waiters.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(shared.pid.load() == child.pid());  // a process of its own, not a thread of ours
  int target = 0;
  REQUIRE(tproc_publish("published-later", &target, 0) == 0);
  const int status = child.wait();
  CHECK(WIFEXITED(status));
  CHECK(shared.result == 0);
  CHECK(shared.address == &target);
}

TEST_CASE("when a tproc is killed, withdraw_owner removes its endpoints and wakes who watched them") {
  TestSpace space;
  Shared shared;
  VmChild child(publish_and_hang, &shared);
  while (shared.stage.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(shared.result == 0);
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("child/service", &endpoint) == 0);
  CHECK(endpoint.owner_pid == child.pid());
  std::atomic<int> gone{1};
  std::thread watcher([&] { gone = tproc_wait_gone("child/service", endpoint.generation, 10'000); });
  while (space.header()->waiters.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  const pid_t pid = child.pid();
  kill(pid, SIGKILL);
  CHECK(WIFSIGNALED(child.wait()));
  auto withdrawn = space.registry().withdraw_owner(pid);  // what the daemon does on the exit
  REQUIRE(withdrawn);
  CHECK(*withdrawn == 1);
  watcher.join();
  CHECK(gone == 0);
  CHECK(tproc_lookup("child/service", nullptr, nullptr) == -ENOENT);
}

TEST_CASE("a tproc killed while holding the writer lock mid-write is repaired by withdraw_owner") {
  TestSpace space;
  Shared shared;
  shared.address = space.header();
  VmChild child(die_holding_the_writer_lock, &shared);
  while (shared.stage.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const pid_t pid = child.pid();
  kill(pid, SIGKILL);
  child.wait();
  // Until the daemon acts, writers wait (backing off to sleeps); once it has, all is well.
  std::atomic<int> published{1};
  std::thread writer([&] { published = tproc_publish("after-the-crash", nullptr, 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(published == 1);
  REQUIRE(space.registry().withdraw_owner(pid));
  writer.join();
  CHECK(published == 0);
  CHECK(tproc::registry::entries_of(space.header())[5].seq.load() % 2 == 0);
}

TEST_CASE("/proc/self/auxv in a tproc shows the daemon's auxv, which is why libtproc uses getauxval") {
  // Both processes share one mm, and /proc/PID/auxv shows the mm's saved auxv: the parent's.
  Shared shared;
  VmChild child(read_own_auxv, &shared);
  child.wait();
  char own[4096];
  const int fd = open("/proc/self/auxv", O_RDONLY);
  REQUIRE(fd >= 0);
  const ssize_t own_bytes = read(fd, own, sizeof(own));
  close(fd);
  REQUIRE(own_bytes > 0);
  REQUIRE(shared.auxv_bytes.load() == own_bytes);
  CHECK(std::memcmp(own, shared.auxv, static_cast<size_t>(own_bytes)) == 0);
}
#endif
