#include "cli/front/quick_run.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/exec_target.hpp"
#include "cli/front/quick_wire.hpp"
#include "cli/stand_in.hpp"
#include "common/unique_fd.hpp"
#include "protocol/message_header.hpp"
#include "space/space_name.hpp"
#include "common/trusted_directory.hpp"

namespace tproc::front {
namespace {

/// Replies are a few dozen bytes; a Failure's message is one line. On the stack: a heap buffer
/// this size would be an mmap of its own.

bool equal(const char* a, const char* b) { return strcmp(a, b) == 0; }

/// Whether `arg` is `--NAME` or `--NAME=VALUE`; `inline_value` is then VALUE, or null.
bool long_option(const char* arg, const char* name, const char*& inline_value) {
  const size_t length = strlen(name);
  if (arg[0] != '-' || arg[1] != '-' || strncmp(arg + 2, name, length) != 0) return false;
  const char* rest = arg + 2 + length;
  if (*rest != '\0' && *rest != '=') return false;
  inline_value = *rest == '=' ? rest + 1 : nullptr;
  return true;
}

/// The key of a KEY=VALUE entry: its length up to '=' (the whole entry if there is none).
size_t key_length(const char* entry) {
  const char* equals = strchr(entry, '=');
  return equals ? static_cast<size_t>(equals - entry) : strlen(entry);
}

bool same_key(const char* a, const char* b) {
  const size_t length = key_length(a);
  return length == key_length(b) && strncmp(a, b, length) == 0;
}

/// `tproc run`'s command line, read as cli/run_session.cpp's RunInvocation::parse reads it.
/// Anything that would be refused, or asks for help, fails the parse: the full CLI says why.
struct Invocation {
  const char* space = nullptr;
  const char* target = nullptr;
  char** program_args = nullptr;  ///< TARGET and what follows it
  size_t program_arg_count = 0;
  bool detach = false;
  const char* name = "";
  const char* cwd = nullptr;
  const char** env = nullptr;  ///< -e KEY=VALUE, in order (malloc'd, as many slots as arguments)
  size_t env_count = 0;

  Invocation() = default;
  Invocation(const Invocation&) = delete;
  Invocation& operator=(const Invocation&) = delete;
  ~Invocation() { free(env); }

  bool parse(int count, char** args) {
    env = static_cast<const char**>(calloc(static_cast<size_t>(count) + 1, sizeof(char*)));
    if (!env) return false;
    int i = 0;
    for (; i < count; ++i) {
      const char* arg = args[i];
      if (arg[0] != '-' || arg[1] == '\0') break;  // the first positional ends the options
      if (equal(arg, "--")) {
        ++i;
        break;
      }
      const char* value = nullptr;
      const char** slot = nullptr;
      if (equal(arg, "-d") || equal(arg, "--detach")) {
        detach = true;
        continue;
      }
      if (equal(arg, "-q") || equal(arg, "--quiet")) continue;  // quiets a bundle's unpack: none here
      if (long_option(arg, "name", value)) {
        slot = &name;
      } else if (long_option(arg, "cwd", value)) {
        slot = &cwd;
      } else if (arg[1] == 'w') {
        value = arg[2] != '\0' ? arg + 2 : nullptr;  // -wDIR, as docker's -w
        slot = &cwd;
      } else if (long_option(arg, "env", value)) {
        slot = &env[env_count++];
      } else if (arg[1] == 'e') {
        value = arg[2] != '\0' ? arg + 2 : nullptr;  // -eKEY=VALUE
        slot = &env[env_count++];
      } else {
        return false;  // --help, an unknown option, a flag given a value
      }
      if (!value) {
        if (i + 1 >= count) return false;
        value = args[++i];
      }
      if (slot == &name && value[0] == '\0') return false;  // --name "": the full CLI refuses it
      *slot = value;
    }
    if (count - i < 2) return false;
    space = args[i];
    target = args[i + 1];
    program_args = args + i + 1;
    program_arg_count = static_cast<size_t>(count - i - 1);
    for (size_t e = 0; e < env_count; ++e)
      if (!strchr(env[e], '=') || env[e][0] == '=') return false;
    return space::is_valid_space_name(space, strlen(space));
  }
};

const char* nonempty_env(const char* name) {
  const char* value = getenv(name);
  return value && *value ? value : nullptr;
}

/// The runtime dir, where space::SpacePaths puts it, opened only if it and every directory above
/// it pass common/trusted_directory.hpp's rule; and the daemon's socket for `space` as a path
/// through that fd. False if it cannot say, or the dir is not to be trusted: the full CLI then
/// says why.
bool socket_address(const char* space, UniqueFd& runtime, sockaddr_un& address) {
  char runtime_dir[PATH_MAX];
  if (const char* chosen = nonempty_env("TPROC_RUNTIME_DIR")) {
    snprintf(runtime_dir, sizeof(runtime_dir), "%s", chosen);
  } else if (geteuid() == 0) {
    snprintf(runtime_dir, sizeof(runtime_dir), "/run/tproc");
  } else if (const char* xdg = nonempty_env("XDG_RUNTIME_DIR")) {
    snprintf(runtime_dir, sizeof(runtime_dir), "%s/tproc", xdg);
  } else {
    snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/tproc-%u/tproc", static_cast<unsigned>(geteuid()));
  }
  // SpacePaths refuses a user without HOME; so does the full CLI, with the reason.
  if (geteuid() != 0 && !nonempty_env("HOME")) return false;
  DistrustReason why;
  runtime.reset(open_trusted_directory(runtime_dir, geteuid(), false, why));
  if (!runtime) return false;
  char name[80];
  if (snprintf(name, sizeof(name), "%s.sock", space) >= static_cast<int>(sizeof(name))) return false;
  address = sockaddr_un{};
  address.sun_family = AF_UNIX;
  return path_in_directory(runtime.get(), name, address.sun_path, sizeof(address.sun_path));
}

/// Whether the peer listening on `connection` runs as we do (space/space_socket.hpp).
bool peer_is_us(int connection) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  return getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.uid == geteuid();
}

/// The working directory the program gets: --cwd made absolute, or ours.
bool working_directory(const char* requested, char (&path)[PATH_MAX]) {
  char here[PATH_MAX];
  if (!getcwd(here, sizeof(here))) return false;
  if (!requested) return snprintf(path, sizeof(path), "%s", here) < static_cast<int>(sizeof(path));
  const int length = requested[0] == '/' ? snprintf(path, sizeof(path), "%s", requested)
                                         : snprintf(path, sizeof(path), "%s/%s", here, requested);
  struct stat st {};
  return length > 0 && length < static_cast<int>(sizeof(path)) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/// Our environment with the -e assignments applied: an entry a later assignment names is
/// dropped and every assignment goes last, in order (what environment_with in run_session.cpp
/// builds). The array is malloc'd; its strings are borrowed.
const char** environment_with(char** envp, const Invocation& invocation, size_t& count) {
  size_t total = invocation.env_count;
  for (char** entry = envp; *entry; ++entry) ++total;
  auto** env = static_cast<const char**>(malloc((total + 1) * sizeof(char*)));
  if (!env) return nullptr;
  count = 0;
  const auto overridden = [&](const char* entry, size_t from) {
    for (size_t e = from; e < invocation.env_count; ++e)
      if (same_key(entry, invocation.env[e])) return true;
    return false;
  };
  for (char** entry = envp; *entry; ++entry)
    if (!overridden(*entry, 0)) env[count++] = *entry;
  for (size_t e = 0; e < invocation.env_count; ++e)
    if (!overridden(invocation.env[e], e + 1)) env[count++] = invocation.env[e];
  return env;
}

/// The one way this file reports an error once the program exists: as the full CLI would.
int fail(const Invocation& invocation, const char* message, int code) {
  if (code == 0) fprintf(stderr, "tproc: run %s: %s\n", invocation.target, message);
  else fprintf(stderr, "tproc: run %s: %s: %s\n", invocation.target, message, strerror(code));
  return cli::exit_status_for(code);
}

/// Relays signals to the program until it ends, then ends as it did (cli/run_session.cpp's
/// supervise: the same steps, the daemon's death included); returns tproc's status.
int supervise(const Invocation& invocation, int connection, int pidfd, int signals, unsigned char* buffer) {
  const UniqueFd daemon = cli::daemon_pidfd(connection);
  for (;;) {
    pollfd waiting[] = {{signals, POLLIN, 0}, {connection, POLLIN, 0}, {daemon.get(), POLLIN, 0}};
    if (poll(waiting, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(invocation, "poll", errno);
    }
    if (waiting[0].revents & POLLIN) cli::relay_signals(signals, pidfd);
    bool daemon_gone = waiting[2].revents != 0;
    if (waiting[1].revents) {
      QuickReply reply;
      UniqueFd unexpected;
      if (receive_reply(connection, buffer, reply, unexpected) == 0) {
        if (reply.kind == QuickReply::kExited) return cli::end_like({reply.killed, reply.value});
        if (reply.kind != QuickReply::kFailure) return fail(invocation, "unexpected message from the space daemon", EPROTO);
        fprintf(stderr, "tproc: run %s: %.*s\n", invocation.target, static_cast<int>(reply.message_size), reply.message);
        return cli::exit_status_for(reply.code);
      }
      daemon_gone = true;  // the connection ended, or broke, without a word about the program
    }
    if (daemon_gone) {
      fprintf(stderr, "tproc: run %s: the space daemon went away; waiting for the program itself\n", invocation.target);
      cli::ProgramEnd end;
      if (!cli::wait_for_orphan(signals, pidfd, end))
        return fail(invocation, "the space daemon went away and the program's status is lost", 0);
      return cli::end_like(end);
    }
  }
}

/// Restores the signal mask when the quick path declines after blocking the forwarded signals.
class MaskRestorer {
 public:
  MaskRestorer() { sigprocmask(SIG_SETMASK, nullptr, &saved_); }
  MaskRestorer(const MaskRestorer&) = delete;
  MaskRestorer& operator=(const MaskRestorer&) = delete;
  ~MaskRestorer() {
    if (armed_) sigprocmask(SIG_SETMASK, &saved_, nullptr);
  }
  void keep() { armed_ = false; }

 private:
  sigset_t saved_;
  bool armed_ = true;
};

struct Strings {
  const char** items = nullptr;
  size_t count = 0;
  Strings() = default;
  Strings(const Strings&) = delete;
  Strings& operator=(const Strings&) = delete;
  ~Strings() { free(items); }
};

}  // namespace

bool quick_run(int arg_count, char** args, char** envp, int& status) {
  Invocation invocation;
  if (!invocation.parse(arg_count, args)) return false;
  // A terminal gets a pty relayed by the full CLI (cli/terminal_relay.hpp); the quick path is for
  // everything else.
  if (!invocation.detach && (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))) return false;
  UniqueFd runtime;
  sockaddr_un address;
  if (!socket_address(invocation.space, runtime, address)) return false;
  // What execvp would run (cli/exec_target.hpp); whatever it cannot, the full CLI explains.
  cli::ExecTarget target;
  if (!cli::resolve_exec_target(invocation.target, getenv("PATH"), target)) return false;
  const UniqueFd& executable = target.executable;
  if (invocation.cwd && target.interpreter_count > 0 && !cli::make_path_absolute(target)) return false;
  char cwd[PATH_MAX];
  if (!working_directory(invocation.cwd, cwd)) return false;
  Strings env;
  env.items = environment_with(envp, invocation, env.count);
  if (!env.items) return false;

  // argv: the script's interpreters and path in front of the program's own arguments.
  Strings argv;
  const size_t prefix = target.argv_prefix_size();
  argv.count = prefix + invocation.program_arg_count - 1;
  argv.items = static_cast<const char**>(malloc(argv.count * sizeof(char*)));
  if (!argv.items) return false;
  target.argv_prefix(invocation.program_args[0], argv.items);
  for (size_t i = 1; i < invocation.program_arg_count; ++i) argv.items[prefix + i - 1] = invocation.program_args[i];

  ByteWriter request;
  QuickRequest fields;
  fields.argv = argv.items;
  fields.argc = argv.count;
  fields.env = env.items;
  fields.env_count = env.count;
  fields.execfn = target.path;
  fields.cwd = cwd;
  fields.name = invocation.name;
  fields.detach = invocation.detach;
  fields.ignored_signals = cli::ignored_signal_mask();
  // What an exec would hand on: descriptors (not to a detached program: its stdio is its log)
  // and process attributes, the signal mask as it is before we block the relayed signals.
  int inherited[protocol::kMaxInheritedFds];
  if (!invocation.detach) {
    const long count = cli::inherited_fds(inherited, protocol::kMaxInheritedFds);
    if (count < 0 || static_cast<size_t>(count) > protocol::kMaxInheritedFds) return false;  // the full CLI says why
    fields.inherited_fds = inherited;
    fields.inherited_count = static_cast<size_t>(count);
  }
  sigset_t caller_mask;
  sigprocmask(SIG_SETMASK, nullptr, &caller_mask);
  cli::CallerState caller;
  caller.read(caller_mask);
  QuickLimit limits[RLIM_NLIMITS];
  for (size_t i = 0; i < caller.limit_count; ++i)
    limits[i] = {caller.limits[i].resource, caller.limits[i].soft, caller.limits[i].hard};
  fields.umask = caller.umask;
  fields.nice = caller.nice;
  fields.blocked_signals = caller.blocked_signals;
  fields.limits = limits;
  fields.limit_count = caller.limit_count;
  write_run_request(fields, request);
  if (request.failed() || request.size() > protocol::kMaxMessageSize) return false;

  const UniqueFd connection(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!connection || connect(connection.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) return false;
  // Nothing is sent to a socket that another user listens on.
  if (!peer_is_us(connection.get())) return false;
  unsigned char reply_buffer[kReplyBuffer];

  // Block the forwarded signals before the program exists, so none is lost in between: they
  // queue on the signalfd until the pidfd is known.
  MaskRestorer mask;
  UniqueFd signals;
  if (!invocation.detach) {
    const sigset_t forwarded = cli::forwarded_signal_set();
    sigprocmask(SIG_BLOCK, &forwarded, nullptr);
    signals.reset(signalfd(-1, &forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signals) return false;
  }

  // The order the daemon expects: the executable, then stdio and the inherited fds unless detached.
  int fds[protocol::kMaxMessageFds] = {executable.get(), STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  for (size_t i = 0; i < fields.inherited_count; ++i) fds[4 + i] = inherited[i];
  if (send_with_fds(connection.get(), request, fds, invocation.detach ? 1 : 4 + fields.inherited_count) != 0) return false;
  // Never deaf while the daemon has not answered (stopped, stuck): a Ctrl-C ends tproc run here.
  if (!invocation.detach) cli::await_answer(connection.get(), signals.get());
  QuickReply reply;
  UniqueFd pidfd;
  // A refusal started nothing: decline, and the full CLI asks again and explains it.
  if (receive_reply(connection.get(), reply_buffer, reply, pidfd) != 0 || reply.kind != QuickReply::kStarted) return false;
  mask.keep();

  // From here the program runs: whatever happens is reported here, never declined.
  if (const char* timing = getenv("TPROC_REPORT_LAUNCH_NS"); timing && equal(timing, "1"))
    fprintf(stderr, "tproc: daemon launch %llu ns\n", static_cast<unsigned long long>(reply.launch_ns));
  if (invocation.detach) {
    printf("%llu\n", static_cast<unsigned long long>(reply.id));
    status = 0;
    return true;
  }
  if (!pidfd) {
    status = fail(invocation, "the space daemon sent no pidfd", EPROTO);
    return true;
  }
  status = supervise(invocation, connection.get(), pidfd.get(), signals.get(), reply_buffer);
  return true;
}

}  // namespace tproc::front
