// tproc_stop_world / tproc_start_world: every other tproc's threads stopped, and where they were.
//
// Who the other tprocs are: every tproc is a child of its space's daemon (clone3), and shares the
// caller's mm; the daemon's other children (its listener keeper, programs it forked) do not. So:
// the daemon's children (/proc/DAEMON/task/*/children) that kcmp(KCMP_VM) finds in our mm.
// Each thread is seized and interrupted (no signal: nothing the program can see but a restarted
// system call). A thread a tproc starts meanwhile is found by listing its tasks again until a
// listing finds none not yet stopped (a stopped thread starts no other).

#include <dirent.h>
#include <errno.h>
#include <linux/elf.h>
#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "libtproc/attachment.hpp"
#include "thread_registers.hpp"
#include "tproc/tproc.h"

namespace {

using tproc::lib::ThreadRegisters;

/// Calls `visit(number)` for each numeric entry of directory `path`.
template <class F>
void for_each_number(const char* path, F&& visit) {
  DIR* directory = ::opendir(path);
  if (!directory) return;
  while (const dirent* entry = ::readdir(directory)) {
    char* end = nullptr;
    const long number = std::strtol(entry->d_name, &end, 10);
    if (entry->d_name[0] != '.' && *end == '\0' && number > 0) visit(static_cast<pid_t>(number));
  }
  ::closedir(directory);
}

bool shares_our_mm(pid_t pid) {
  return ::syscall(SYS_kcmp, ::getpid(), pid, KCMP_VM, 0, 0) == 0;
}

/// The stopped threads so far, in the caller's array (or only counted past its capacity).
struct Stopped {
  tproc_thread_context* contexts;
  size_t capacity;
  size_t count = 0;
  bool contains(pid_t tid) const {
    for (size_t i = 0; i < count && i < capacity; ++i)
      if (contexts[i].tid == tid) return true;
    return false;
  }
};

/// Seizes and interrupts `tid`, waits for its stop and reads its registers into `context`.
int stop_thread(pid_t pid, pid_t tid, tproc_thread_context* context) {
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) < 0) return errno == ESRCH ? 0 : -errno;
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) < 0) {
    const int error = errno;
    ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return error == ESRCH ? 0 : -error;
  }
  int status = 0;
  for (;;) {
    if (::waitpid(tid, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      return errno == ECHILD ? 0 : -errno;  // it ended meanwhile
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) return 0;
    if (WIFSTOPPED(status)) {
      if ((status >> 16) == PTRACE_EVENT_STOP) break;
      // A signal arrived first: let it through (it is the program's), then the interrupt stops it.
      ::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(WSTOPSIG(status))));
    }
  }
  ThreadRegisters regs{};
  iovec vector{&regs, sizeof(regs)};
  if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &vector) < 0) {
    const int error = errno;
    ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return -error;
  }
  if (context) {
    std::memset(context, 0, sizeof(*context));
    context->pid = pid;
    context->tid = tid;
    context->stack_pointer = tproc::lib::stack_pointer_of(regs);
    context->instruction_pointer = tproc::lib::instruction_pointer_of(regs);
    static_assert(sizeof(regs) % sizeof(uint64_t) == 0);
    const size_t words = sizeof(regs) / sizeof(uint64_t);
    const size_t kept = words < 34 ? words : 34;
    std::memcpy(context->registers, &regs, kept * sizeof(uint64_t));
    context->register_count = static_cast<uint32_t>(kept);
  }
  return 1;
}

}  // namespace

extern "C" {

TPROC_API long tproc_stop_world(tproc_thread_context* contexts, size_t capacity, size_t* needed) {
  int error = 0;
  if (tproc::lib::attached_registry(&error) == nullptr) return error ? error : -ENOTCONN;
  if (contexts == nullptr && capacity > 0) return -EINVAL;
  const pid_t self = ::getpid();
  const pid_t daemon = ::getppid();
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/task", static_cast<int>(daemon));

  Stopped stopped{contexts, capacity};
  size_t overflow = 0;  // threads stopped and let go again because `contexts` is full
  int failure = 0;
  // The daemon's threads, then each one's children: the tprocs are among them.
  for_each_number(path, [&](pid_t daemon_thread) {
    char children_path[96];
    std::snprintf(children_path, sizeof(children_path), "/proc/%d/task/%d/children", static_cast<int>(daemon),
                  static_cast<int>(daemon_thread));
    FILE* children = std::fopen(children_path, "re");
    if (!children) return;
    for (int pid = 0; failure == 0 && std::fscanf(children, "%d", &pid) == 1;) {
      if (pid == self || !shares_our_mm(pid)) continue;
      char tasks[64];
      std::snprintf(tasks, sizeof(tasks), "/proc/%d/task", pid);
      // Again until a listing finds no thread not yet stopped: one may have been starting.
      for (bool found_new = true; found_new && failure == 0;) {
        found_new = false;
        for_each_number(tasks, [&](pid_t tid) {
          if (failure != 0 || stopped.contains(tid)) return;
          tproc_thread_context scratch;
          const bool room = stopped.count < capacity;
          const int result = stop_thread(pid, tid, room ? &contexts[stopped.count] : &scratch);
          if (result < 0) {
            failure = result;
          } else if (result > 0) {
            found_new = true;
            if (room) {
              ++stopped.count;
            } else {
              ++overflow;
              ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
            }
          }
        });
      }
    }
    std::fclose(children);
  });
  if (needed) *needed = stopped.count + overflow;
  if (failure != 0 || overflow > 0) {
    tproc_start_world(contexts, stopped.count);
    return failure != 0 ? failure : -ENOSPC;
  }
  return static_cast<long>(stopped.count);
}

TPROC_API int tproc_start_world(const tproc_thread_context* contexts, size_t count) {
  int first_error = 0;
  for (size_t i = 0; i < count; ++i)
    if (::ptrace(PTRACE_DETACH, contexts[i].tid, nullptr, nullptr) < 0 && first_error == 0 && errno != ESRCH)
      first_error = -errno;
  return first_error;
}

}  // extern "C"
