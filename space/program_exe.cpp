#include "space/program_exe.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tproc::space {
namespace {

#ifndef SECCOMP_IOCTL_NOTIF_ADDFD  // Linux 5.9
#define SECCOMP_IOCTL_NOTIF_ADDFD SECCOMP_IOW(3, struct seccomp_notif_addfd)
#endif

/// How long a rewritten exec may take before its path is put back anyway (the exec failed and
/// the caller lives on: its path must read as before).
constexpr long kExecPatienceNs = 2'000'000'000;
constexpr long kExecPollNs = 20'000;

/// The NUL-terminated string at `address` in process `tid` (read with process_vm_readv, which
/// fails cleanly on a bad pointer) into `text`; false if unreadable or longer than the buffer.
/// No heap: this runs on listener threads outside the server's lock, where concurrent mallocs
/// would make glibc create arenas (64 MiB reservations) in the space.
bool read_string(pid_t tid, uint64_t address, char (&text)[PATH_MAX]) {
  size_t size = 0;
  while (size < sizeof(text)) {
    // Never across a page boundary in one read: the next page may be unmapped.
    const uint64_t to_page_end = 4096 - (address & 4095);
    const size_t want = std::min<uint64_t>(std::min<size_t>(256, sizeof(text) - size), to_page_end);
    iovec local{text + size, want}, remote{reinterpret_cast<void*>(address), want};
    const ssize_t got = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (got <= 0) return false;
    if (std::memchr(text + size, '\0', static_cast<size_t>(got))) return true;
    size += static_cast<size_t>(got);
    address += static_cast<uint64_t>(got);
  }
  return false;
}

/// Whether thread `tid` belongs to process `pid`.
bool in_thread_group(pid_t pid, pid_t tid) {
  char task[64];
  std::snprintf(task, sizeof(task), "/proc/%d/task/%d", pid, tid);
  return ::access(task, F_OK) == 0;
}

/// Whether `path` names the executable of the caller, thread `tid`: /proc/self/exe,
/// /proc/thread-self/exe, or /proc/PID/exe with PID its process (or the thread itself).
bool names_own_exe(const char* path, pid_t tid) {
  if (std::strcmp(path, "/proc/self/exe") == 0 || std::strcmp(path, "/proc/thread-self/exe") == 0) return true;
  if (std::strncmp(path, "/proc/", 6) != 0) return false;
  char* end = nullptr;
  const long pid = std::strtol(path + 6, &end, 10);
  if (end == path + 6 || path[6] < '0' || path[6] > '9' || std::strcmp(end, "/exe") != 0 || pid <= 0 || pid > INT_MAX) return false;
  return pid == tid || in_thread_group(static_cast<pid_t>(pid), tid);
}

/// Whether thread `tid` still runs the file `file`: false once it has exec'd something else or is gone.
bool runs_file(pid_t tid, ExeIdentity file) {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/%d/exe", tid);
  struct stat st {};
  return ::stat(link, &st) == 0 && st.st_dev == file.device && st.st_ino == file.inode;
}

void send(int listener, seccomp_notif_resp& response) { ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response); }

void let_continue(int listener, const seccomp_notif& request, seccomp_notif_resp& response) {
  response.id = request.id;
  response.error = 0;
  response.val = 0;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  send(listener, response);
}

}  // namespace

Result<ExeIdentity> ExeIdentity::of_self() {
  struct stat daemon {};
  if (::stat("/proc/self/exe", &daemon) < 0) return Error::from_errno("stat /proc/self/exe");
  return ExeIdentity{daemon.st_dev, daemon.st_ino};
}

Result<std::shared_ptr<const ProgramExe>> ProgramExe::open(const UniqueFd& file, ExeIdentity daemon) {
  std::shared_ptr<ProgramExe> exe(new ProgramExe());
  char link[64], path[PATH_MAX];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", file.get());
  const ssize_t length = ::readlink(link, path, sizeof(path));
  if (length < 0 || static_cast<size_t>(length) == sizeof(path)) return Error::from_errno("the program's path");
  exe->path_.assign(path, static_cast<size_t>(length));
  exe->file_.reset(::fcntl(file.get(), F_DUPFD_CLOEXEC, 0));
  if (!exe->file_) return Error::from_errno("dup the program's fd");
  exe->daemon_ = daemon;
  return std::shared_ptr<const ProgramExe>(std::move(exe));
}

bool ProgramExe::handles(int number) {
#ifdef SYS_readlink  // not on aarch64, which has only readlinkat
  if (number == SYS_readlink) return true;
#endif
  return number == SYS_readlinkat || number == SYS_execve;
}

void ProgramExe::answer(int listener, pid_t tproc, const seccomp_notif& request, seccomp_notif_resp& response) const {
  const auto& arg = request.data.args;
  const int number = request.data.nr;
  if (number == SYS_execve) return continue_exec(listener, tproc, request, response);
#ifdef SYS_readlink
  if (number == SYS_readlink && answer_readlink(listener, request, arg[0], arg[1], arg[2], response)) return send(listener, response);
#endif
  if (number == SYS_readlinkat) {
    // Only absolute paths: a path relative to a directory fd (/proc/self, opened) is not matched.
    if (answer_readlink(listener, request, arg[1], arg[2], arg[3], response)) return send(listener, response);
  }
  let_continue(listener, request, response);
}

bool ProgramExe::answer_readlink(int listener, const seccomp_notif& request, uint64_t path, uint64_t buffer,
                                 uint64_t size, seccomp_notif_resp& response) const {
  const pid_t tid = static_cast<pid_t>(request.pid);
  char link[PATH_MAX];
  if (!read_string(tid, path, link) || !names_own_exe(link, tid)) return false;
  if (!runs_file(tid, daemon_)) return false;  // exec'd: its exe is its own
  response.id = request.id;
  response.flags = 0;
  const int capacity = static_cast<int>(size);
  if (capacity <= 0) {
    response.error = -EINVAL;  // what readlink says for bufsiz <= 0
    return true;
  }
  // The tid was checked against the notification after it was read: the caller still waits.
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &request.id) < 0) return false;
  const size_t length = std::min(path_.size(), static_cast<size_t>(capacity));
  iovec local{const_cast<char*>(path_.data()), length}, remote{reinterpret_cast<void*>(buffer), length};
  if (::process_vm_writev(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(length)) {
    response.error = -EFAULT;
    return true;
  }
  response.error = 0;
  response.val = static_cast<int64_t>(length);
  return true;
}

void ProgramExe::continue_exec(int listener, pid_t tproc, const seccomp_notif& request, seccomp_notif_resp& response) const {
  const pid_t tid = static_cast<pid_t>(request.pid);
  const uint64_t address = request.data.args[0];
  char original[PATH_MAX];
  if (!read_string(tid, address, original) || !names_own_exe(original, tid) ||
      !runs_file(tid, daemon_))
    return let_continue(listener, request, response);
  // The caller's memory as of now: opened before the exec, it stays that mm, never the new program's.
  char mem_path[64];
  std::snprintf(mem_path, sizeof(mem_path), "/proc/%d/mem", tid);
  UniqueFd memory(::open(mem_path, O_RDWR | O_CLOEXEC));
  if (!memory) return let_continue(listener, request, response);
  seccomp_notif_addfd addfd{};
  addfd.id = request.id;
  addfd.srcfd = static_cast<uint32_t>(file_.get());
  addfd.newfd_flags = O_CLOEXEC;  // gone once the exec succeeds
  const int installed = ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
  if (installed < 0) return let_continue(listener, request, response);
  // The replacement must fit where the original was: /proc/self/exe has 14 bytes.
  char replacement[32];
  std::snprintf(replacement, sizeof(replacement), "/proc/self/fd/%d", installed);
  const size_t original_size = std::strlen(original);
  if (std::strlen(replacement) > original_size) std::snprintf(replacement, sizeof(replacement), "/dev/fd/%d", installed);
  const size_t length = std::strlen(replacement) + 1;
  // /proc/PID/mem writes through read-only pages (a string literal in .rodata) as a debugger does.
  if (length > original_size + 1 || ::pwrite(memory.get(), replacement, length, static_cast<off_t>(address)) != static_cast<ssize_t>(length))
    return let_continue(listener, request, response);
  const bool tproc_itself = in_thread_group(tproc, tid);  // before the exec changes what it is
  let_continue(listener, request, response);

  // Put the path back once the kernel has read it: when the exec has gone through (the caller runs
  // another file, or is gone), or has failed (it is still the daemon's after a long while). A
  // vfork'd child's path is its parent's memory, which runs on; a failed exec's caller runs on.
  timespec start{}, now{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  bool went_through = false;
  for (;;) {
    if (!runs_file(tid, daemon_)) {
      went_through = true;
      break;
    }
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1'000'000'000L + (now.tv_nsec - start.tv_nsec) > kExecPatienceNs) break;
    const timespec pause{0, kExecPollNs};
    ::nanosleep(&pause, nullptr);
  }
  // A tproc that exec'd itself left the space: its image there is the daemon's to reclaim now, and
  // must not be written to. Anyone else's memory (a vfork parent's, a failed exec's) gets its path
  // back; a forked child's old mm is gone once it exec'd, and the write fails harmlessly.
  if (went_through && tproc_itself) return;
  (void)!::pwrite(memory.get(), original, original_size + 1, static_cast<off_t>(address));
}

}  // namespace tproc::space
