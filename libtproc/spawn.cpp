// tproc_spawn(), tproc_spawnp() and the tproc_child they return.
//
// A spawn is what `tproc run` does, without the client process: the caller itself sends its
// space's daemon the RunRequest the front door would send (cli/front/quick_wire.hpp writes the
// bytes; libtproc is built without the C++ standard library, as the front door is), with the
// program's file, stdio and inherited descriptors attached. The connection then stays open: the
// daemon answers Started with the program's pidfd, and later Exited (or a Failure, when the start
// failed after all), which tproc_child_wait() reads. Closing it asks the daemon to kill the
// program, as for a `tproc run` that ends.

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <new>

#include "cli/exec_target.hpp"
#include "cli/front/quick_wire.hpp"
#include "cli/stand_in.hpp"
#include "libtproc/child_fd_table.hpp"
#include "libtproc/daemon_link.hpp"
#include "protocol/message_header.hpp"
#include "tproc/tproc.h"

extern char** environ;

/// A started program: the connection its status arrives on, and its pidfd.
struct tproc_child {
  tproc::UniqueFd connection;
  tproc::UniqueFd pidfd;
  pid_t pid;
  uint64_t id;
  bool ended;  ///< `result` is final
  int result;  ///< 0 with `status`, or the negative errno of a start that failed after all
  int status;  ///< as waitpid() reports it
};

namespace tproc::lib {
namespace {

/// Replies are small: Started, Exited, or a Failure's one line.

/// A malloc'd array of string pointers (borrowed strings), freed with it.
struct Words {
  const char** items = nullptr;
  size_t count = 0;
  Words() = default;
  Words(const Words&) = delete;
  Words& operator=(const Words&) = delete;
  ~Words() { free(items); }
};

size_t count_of(char* const* words) {
  size_t count = 0;
  while (words[count] != nullptr) ++count;
  return count;
}

/// A Failure's errno as we return it: a refusal without one is the program's fault (ENOEXEC).
int failure_code(const front::QuickReply& reply) { return reply.code > 0 ? -reply.code : -ENOEXEC; }

/// The program's working directory, absolute: `requested` against ours, or ours.
int working_directory(const char* requested, char (&path)[PATH_MAX]) {
  char here[PATH_MAX];
  if (::getcwd(here, sizeof(here)) == nullptr) return -errno;
  const char* chosen = requested != nullptr ? requested : here;
  const int length = requested != nullptr && requested[0] != '/' ? snprintf(path, sizeof(path), "%s/%s", here, requested)
                                                                 : snprintf(path, sizeof(path), "%s", chosen);
  return length > 0 && length < static_cast<int>(sizeof(path)) ? 0 : -ENAMETOOLONG;
}

int spawn(tproc_child** child, const char* name, bool search, const tproc_spawn_file_actions_t* file_actions,
          const tproc_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (child == nullptr || name == nullptr || name[0] == '\0' || argv == nullptr || argv[0] == nullptr) return -EINVAL;
  *child = nullptr;
  if (tproc_in_space() != 1) return -ENOTCONN;

  // What execve would run, found as execvp (with `search`) or execve (without) finds it.
  cli::ExecTarget target;
  char relative[PATH_MAX];
  const char* lookup = name;
  if (!search && strchr(name, '/') == nullptr) {
    if (snprintf(relative, sizeof(relative), "./%s", name) >= static_cast<int>(sizeof(relative))) return -ENAMETOOLONG;
    lookup = relative;
  }
  if (!cli::resolve_exec_target(lookup, search ? getenv("PATH") : nullptr, target))
    return target.error != 0 ? -target.error : -ENOEXEC;  // no errno: a bundle
  // glibc's posix_spawn and posix_spawnp (since 2.15) report ENOEXEC where execvp would try /bin/sh.
  if (target.shell_fallback) return -ENOEXEC;
  const char* cwd_request = attr != nullptr ? attr->_cwd : nullptr;
  if (cwd_request != nullptr && target.interpreter_count > 0 && !cli::make_path_absolute(target)) return -ENAMETOOLONG;
  char cwd[PATH_MAX];
  if (const int found = working_directory(cwd_request, cwd); found < 0) return found;

  ChildFdTable table;
  if (const int built = table.build(file_actions); built < 0) return built;
  int fds[protocol::kMaxMessageFds] = {target.executable.get()};
  for (int stdio = 0; stdio < 3; ++stdio) {
    fds[1 + stdio] = table.stdio_source(stdio);
    if (fds[1 + stdio] < 0) return fds[1 + stdio];
  }
  int inherited[protocol::kMaxInheritedFds];
  const size_t inherited_count = table.inherited(inherited, fds + 4, protocol::kMaxInheritedFds);
  if (inherited_count > protocol::kMaxInheritedFds) return -EMFILE;

  // argv: a script's interpreters and path in front of the program's own arguments.
  Words words;
  const size_t prefix = target.argv_prefix_size(), argc = count_of(argv);
  words.count = prefix + argc - 1;
  words.items = static_cast<const char**>(malloc(words.count * sizeof(char*)));
  if (words.items == nullptr) return -ENOMEM;
  target.argv_prefix(argv[0], words.items);
  for (size_t i = 1; i < argc; ++i) words.items[prefix + i - 1] = argv[i];
  char* const* env = envp != nullptr ? envp : environ;

  sigset_t mask;
  if (attr != nullptr && (attr->_flags & TPROC_SPAWN_SETSIGMASK)) mask = attr->_sigmask;
  else ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  cli::CallerState caller;
  caller.read(mask);
  front::QuickLimit limits[RLIM_NLIMITS];
  for (size_t i = 0; i < caller.limit_count; ++i)
    limits[i] = {caller.limits[i].resource, caller.limits[i].soft, caller.limits[i].hard};

  front::QuickRequest fields;
  fields.argv = words.items;
  fields.argc = words.count;
  fields.env = const_cast<const char* const*>(env);
  fields.env_count = count_of(env);
  fields.execfn = target.path;
  fields.cwd = cwd;
  fields.name = attr != nullptr ? attr->_name : "";
  fields.ignored_signals = ignored_signal_mask();
  fields.inherited_fds = inherited;
  fields.inherited_count = inherited_count;
  fields.umask = caller.umask;
  fields.nice = caller.nice;
  fields.blocked_signals = caller.blocked_signals;
  fields.limits = limits;
  fields.limit_count = caller.limit_count;
  front::ByteWriter request;
  front::write_run_request(fields, request);
  if (request.failed()) return -ENOMEM;
  if (request.size() > protocol::kMaxMessageSize) return -E2BIG;

  UniqueFd connection;
  if (const int connected = connect_to_daemon(connection); connected < 0) return connected;
  if (const int sent = front::send_with_fds(connection.get(), request, fds, 4 + inherited_count); sent < 0)
    return sent == -EPIPE ? -ECONNREFUSED : sent;
  unsigned char buffer[front::kReplyBuffer];
  front::QuickReply reply;
  UniqueFd pidfd;
  if (const int received = front::receive_reply(connection.get(), buffer, reply, pidfd); received < 0) return received;
  if (reply.kind == front::QuickReply::kFailure) return failure_code(reply);
  if (reply.kind != front::QuickReply::kStarted || !pidfd) return -EPROTO;

  auto* started = static_cast<tproc_child*>(malloc(sizeof(tproc_child)));
  if (started == nullptr) return -ENOMEM;  // the connection closes: the daemon kills the program
  new (started) tproc_child{static_cast<UniqueFd&&>(connection), static_cast<UniqueFd&&>(pidfd), reply.pid, reply.id,
                            false, 0, 0};
  *child = started;
  return 0;
}

/// Milliseconds left until `deadline_ns` (CLOCK_MONOTONIC), or -1 for none.
int remaining_ms(int64_t deadline_ns) {
  if (deadline_ns < 0) return -1;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t left = deadline_ns - (static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec);
  return left <= 0 ? 0 : static_cast<int>((left + 999999) / 1000000);
}

int64_t deadline_after(int timeout_ms) {
  if (timeout_ms < 0) return -1;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec + static_cast<int64_t>(timeout_ms) * 1000000;
}

int wait_status(bool killed, int value, bool core_dumped) {
  return killed ? (value & 0x7f) | (core_dumped ? 0x80 : 0) : (value & 0xff) << 8;
}

/// The daemon went away with the program's status: the kernel may still say how it ended.
int end_without_daemon(tproc_child& child, int64_t deadline_ns) {
  pollfd exited{child.pidfd.get(), POLLIN, 0};
  const int ready = ::poll(&exited, 1, remaining_ms(deadline_ns));
  if (ready < 0) return -errno;
  if (ready == 0) return -ETIMEDOUT;
  cli::ProgramEnd end;
  child.ended = true;
  if (!cli::ended_program(child.pidfd.get(), end)) {
    child.result = -ECONNRESET;
  } else {
    child.result = 0;
    child.status = wait_status(end.killed, end.value, false);
  }
  return child.result;
}

}  // namespace
}  // namespace tproc::lib

extern "C" {

TPROC_API int tproc_spawn(tproc_child** child, const char* path, const tproc_spawn_file_actions_t* file_actions,
                          const tproc_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  return tproc::lib::spawn(child, path, false, file_actions, attr, argv, envp);
}

TPROC_API int tproc_spawnp(tproc_child** child, const char* file, const tproc_spawn_file_actions_t* file_actions,
                           const tproc_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  return tproc::lib::spawn(child, file, true, file_actions, attr, argv, envp);
}

TPROC_API pid_t tproc_child_pid(const tproc_child* child) { return child != nullptr ? child->pid : -1; }

TPROC_API uint64_t tproc_child_id(const tproc_child* child) { return child != nullptr ? child->id : 0; }

TPROC_API int tproc_child_pidfd(const tproc_child* child) { return child != nullptr ? child->pidfd.get() : -EINVAL; }

TPROC_API int tproc_child_wait(tproc_child* child, int timeout_ms, int* status) {
  using namespace tproc::lib;
  if (child == nullptr) return -EINVAL;
  const int64_t deadline = deadline_after(timeout_ms);
  while (!child->ended) {
    pollfd answer{child->connection.get(), POLLIN, 0};
    const int ready = ::poll(&answer, 1, remaining_ms(deadline));
    if (ready < 0) return -errno;
    if (ready == 0) return -ETIMEDOUT;
    unsigned char buffer[tproc::front::kReplyBuffer];
    tproc::front::QuickReply reply;
    tproc::UniqueFd unexpected;
    const int received = tproc::front::receive_reply(child->connection.get(), buffer, reply, unexpected);
    if (received == -ECONNRESET) {
      if (const int ended = end_without_daemon(*child, deadline); !child->ended) return ended;
      break;
    }
    if (received < 0) return received;
    if (reply.kind == tproc::front::QuickReply::kExited) {
      child->ended = true;
      child->result = 0;
      child->status = wait_status(reply.killed, reply.value, reply.core_dumped);
    } else if (reply.kind == tproc::front::QuickReply::kFailure) {
      child->ended = true;
      child->result = failure_code(reply);
    }
  }
  if (child->result == 0 && status != nullptr) *status = child->status;
  return child->result;
}

TPROC_API void tproc_child_release(tproc_child* child) {
  if (child == nullptr) return;
  child->~tproc_child();
  free(child);
}

}  // extern "C"
