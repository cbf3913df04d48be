#include "cli/run_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <cstdio>
#include <cstdlib>

#include "cli/arguments.hpp"
#include "cli/env_file.hpp"
#include "cli/space_client.hpp"
#include "space/tproc_name.hpp"
#include "cli/stand_in.hpp"
#include "cli/terminal_relay.hpp"

extern char** environ;

namespace tproc::cli {

const char* const kRunUsage =
    "Usage: tproc run [OPTIONS] SPACE TARGET [ARGS...]\n\n"
    "Run TARGET (an executable, or a bundle made by 'tproc build') in SPACE, starting the space if needed. The program gets this\n"
    "terminal's stdin/stdout/stderr, ARGS, the environment and the working directory; signals sent\n"
    "to tproc run reach it, and tproc run ends as it does: with its exit status, or killed by the\n"
    "same signal.\n\n"
    "Options:\n"
    "  -d, --detach         start it in the background, print its id; output goes to 'tproc logs'\n"
    "      --name NAME      name it (default: the bundle's name, or the file name of TARGET); a\n"
    "                       NAME is unique in the space until 'tproc rm' removes its tproc\n"
    "      --rm             remove the tproc's record (and log) once it exits\n"
    "      --new-space      start SPACE even when its name is one slip from an existing space's\n"
    "                       (without it, 'run Demo' while 'demo' exists asks \"did you mean 'demo'?\")\n"
    "  -l, --label KEY=VALUE  set a label (repeatable): 'tproc ps --filter label=KEY=VALUE'\n"
    "  -e, --env KEY=VALUE  set an environment variable (repeatable); a bare KEY passes this\n"
    "                       shell's value of KEY (none: not set)\n"
    "      --env-file FILE  read KEY=VALUE lines from FILE (# comments; repeatable; -e wins)\n"
    "  -w, --cwd DIR        working directory (default: the current one; with --rootfs, \"/\" of it)\n"
    "  -q, --quiet          no progress on stderr while a bundle is pulled or unpacked (shown only\n"
    "                       when stderr is a terminal, on the first run of a bundle)\n"
    "  -u, --user USER[:GROUP]  run it as USER (a name or a uid) with USER's groups, or with GROUP\n"
    "                       alone, and no capabilities (root keeps them); HOME, USER and LOGNAME\n"
    "                       are USER's. Needs a root daemon; not for bundles. Not a security\n"
    "                       boundary: the program shares memory with the daemon and the space\n\n"
    "Isolation (the program still shares the space's memory):\n"
    "      --rootfs DIR     run it with DIR as its root filesystem, in a mount namespace of its own;\n"
    "                       TARGET and its interpreter are found inside DIR (PATH: /usr/local/bin,\n"
    "                       /usr/bin, /bin, /usr/sbin, /sbin of DIR)\n"
    "      --hostname NAME  its own UTS namespace, with this hostname\n"
    "      --net MODE       host (default), none (a network namespace of its own: only lo), or\n"
    "                       ns:PATH (join the network namespace at PATH, e.g. /run/netns/NAME)\n"
    "      --pid MODE       host (default), or private (a PID namespace of its own: it is pid 1)\n";

namespace {

std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry; ++entry) env.emplace_back(*entry);
  for (const std::string& assignment : overrides) {
    const std::string key = assignment.substr(0, assignment.find('='));
    std::erase_if(env, [&](const std::string& existing) { return existing.substr(0, existing.find('=')) == key; });
    env.push_back(assignment);
  }
  return env;
}

Result<std::string> absolute_directory(const std::string& requested) {
  char here[PATH_MAX];
  if (!::getcwd(here, sizeof(here))) return Error::from_errno("getcwd");
  if (requested.empty()) return std::string(here);
  std::string path = requested[0] == '/' ? requested : std::string(here) + "/" + requested;
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return Error::from_errno("--cwd " + requested);
  if (!S_ISDIR(st.st_mode)) return Error("--cwd " + requested, ENOTDIR);
  return path;
}

/// Relays the signals queued on `signals` to the program: through its terminal when it has one
/// the relay handles, else through its pidfd.
void relay_queued(int signals, int pidfd, TerminalRelay* terminal) {
  if (!terminal) return relay_signals(signals, pidfd);
  signalfd_siginfo info{};
  while (::read(signals, &info, sizeof(info)) == sizeof(info)) {
    const int signal = static_cast<int>(info.ssi_signo);
    if (!terminal->relay_signal(signal, pidfd)) ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
  }
}

/// Ends as the program ended, after its last terminal output and with the caller's terminal
/// settings back.
int end_after(ProgramEnd end, TerminalRelay* terminal) {
  if (terminal) {
    terminal->drain();
    terminal->restore();
  }
  return end_like(end);
}

/// Relays signals (and the terminal, if any) to the program until it ends, and ends the way it
/// did. Normally the daemon reports the end; if the daemon dies first, the program goes on (its
/// listener keeper answers its mapping calls): its terminal is still relayed, and its end is read
/// from its pidfd.
Result<int> supervise(protocol::Connection& connection, int pidfd, int signals, const std::string& target,
                      TerminalRelay* terminal) {
  const UniqueFd daemon = daemon_pidfd(connection.fd());
  bool terminal_open = terminal != nullptr;
  bool daemon_gone = false;
  for (;;) {
    pollfd waiting[] = {{signals, POLLIN, 0},
                        {daemon_gone ? -1 : connection.fd(), POLLIN, 0},
                        {daemon_gone ? -1 : daemon.get(), POLLIN, 0},
                        {terminal ? terminal->input() : -1, POLLIN, 0},
                        {terminal_open ? terminal->master() : -1, POLLIN, 0},
                        {daemon_gone ? pidfd : -1, POLLIN, 0}};
    if (::poll(waiting, 6, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll");
    }
    if (waiting[0].revents & POLLIN) relay_queued(signals, pidfd, terminal);
    if (waiting[3].revents) terminal->pump_input();
    if (waiting[4].revents && !terminal->pump_output()) terminal_open = false;
    if (waiting[5].revents) {
      ProgramEnd end;
      if (!ended_program(pidfd, end)) {
        if (terminal) terminal->restore();
        return Error::explained("the space daemon went away and the program's status is lost", ECHILD);
      }
      return end_after(end, terminal);
    }
    bool daemon_ended = waiting[2].revents != 0;
    if (waiting[1].revents) {
      auto received = connection.receive();
      if (received && *received) {
        if (auto* exited = std::get_if<protocol::Exited>(&(*received)->message))
          return end_after({exited->killed, exited->value}, terminal);
        if (terminal) terminal->restore();
        if (auto* failure = std::get_if<protocol::Failure>(&(*received)->message))
          return Error::explained(failure->message, failure->code);
        return Error(std::string("unexpected message ") + protocol::type_name((*received)->message), EPROTO);
      }
      if (!received && received.error().code() == EAGAIN) continue;
      daemon_ended = true;  // the connection ended, or broke, without a word about the program
    }
    // Checked after the connection, so a reply sent just before the daemon ended is still read.
    if (daemon_ended) {
      daemon_gone = true;
      // On a raw terminal a line ends with \r\n; the relay keeps the terminal raw for the program.
      std::fprintf(stderr, "tproc: run %s: the space daemon went away; waiting for the program itself%s",
                   target.c_str(), terminal ? "\r\n" : "\n");
    }
  }
}

/// Checks and records --rootfs, --hostname, --net and --pid.
Result<void> parse_isolation(const Arguments& arguments, RunInvocation& invocation) {
  if (arguments.has("rootfs")) {
    const std::string given = arguments.value("rootfs");
    char resolved[PATH_MAX];
    if (given.empty() || !::realpath(given.c_str(), resolved)) return Error::from_errno("--rootfs " + given);
    struct stat st {};
    if (::stat(resolved, &st) < 0) return Error::from_errno("--rootfs " + given);
    if (!S_ISDIR(st.st_mode)) return Error("--rootfs " + given, ENOTDIR);
    if (std::string(resolved) == "/") return Error::explained("--rootfs " + given + ": is the root already", EINVAL);
    invocation.rootfs = resolved;
  }
  if (arguments.has("hostname")) {
    invocation.hostname = arguments.value("hostname");
    // The kernel's limit (HOST_NAME_MAX); a name the kernel would take but no resolver could.
    if (invocation.hostname.empty() || invocation.hostname.size() > 64 ||
        invocation.hostname.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
            std::string::npos)
      return Error::explained("--hostname '" + invocation.hostname + "': not a host name (1-64 letters, digits, '-', '.')",
                              EINVAL);
  }
  if (arguments.has("net")) {
    const std::string mode = arguments.value("net");
    if (mode == "none" || mode.rfind("ns:/", 0) == 0) invocation.network = mode;
    else if (mode != "host")
      return Error::explained("--net '" + mode + "': not a network mode (host, none, ns:/ABSOLUTE/PATH)", EINVAL);
  }
  if (arguments.has("pid")) {
    const std::string mode = arguments.value("pid");
    if (mode != "host" && mode != "private")
      return Error::explained("--pid '" + mode + "': not a PID mode (host, private)", EINVAL);
    invocation.private_pids = mode == "private";
  }
  if (!invocation.rootfs.empty() && !invocation.cwd.empty() && invocation.cwd[0] != '/')
    return Error::explained("--cwd " + invocation.cwd + ": with --rootfs, the working directory must be absolute "
                                "(a path inside the root filesystem)", EINVAL);
  return ok();
}

}  // namespace

Result<RunInvocation> RunInvocation::parse(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(
      args,
      {{"detach", 'd', false},
       {"name", 0, true},
       {"env", 'e', true},
       {"env-file", 0, true},
       {"cwd", 'w', true},
       {"rm", 0, false},
       {"new-space", 0, false},
       {"quiet", 'q', false},
       {"label", 'l', true},
       {"rootfs", 0, true},
       {"hostname", 0, true},
       {"net", 0, true},
       {"pid", 0, true},
       {"user", 'u', true}},
      true));
  RunInvocation invocation;
  invocation.wants_help = arguments.wants_help();
  if (invocation.wants_help) return invocation;
  if (arguments.positional().size() < 2) return Error::explained("run needs SPACE and TARGET (see 'tproc run --help')", EINVAL);
  invocation.space = arguments.positional()[0];
  invocation.target = arguments.positional()[1];
  invocation.args.assign(arguments.positional().begin() + 2, arguments.positional().end());
  invocation.detach = arguments.has("detach");
  invocation.name = arguments.value("name");
  // An empty --name would mean "the default name" on the wire: refused as the daemon refuses others.
  if (arguments.has("name") && invocation.name.empty()) TPROC_TRY(space::validate_tproc_name(invocation.name));
  invocation.cwd = arguments.value("cwd");
  invocation.auto_remove = arguments.has("rm");
  invocation.new_space = arguments.has("new-space");
  invocation.quiet = arguments.has("quiet");
  for (const std::string& label : arguments.values("label")) {
    // As docker: KEY=VALUE, or a bare KEY with an empty value.
    if (label.empty() || label[0] == '=')
      return Error::explained("--label '" + label + "': a label is KEY=VALUE, with a KEY", EINVAL);
    invocation.labels.push_back(label.find('=') == std::string::npos ? label + "=" : label);
  }
  TPROC_TRY(parse_isolation(arguments, invocation));
  if (arguments.has("user")) {
    invocation.user = TPROC_TRY(resolve_run_user(arguments.value("user")));
    // Only root's daemon can change a program's user, and a daemon runs as its caller's user.
    if (::geteuid() != 0)
      return Error::explained("-u " + invocation.user->spec + ": tproc run is not root, so neither is the space's daemon, "
                                  "and only root can start a program as another user", EPERM);
  }
  // As docker does: the files first, in order, then -e, so -e overrides a file.
  for (const std::string& file : arguments.values("env-file")) {
    std::vector<std::string> assignments = TPROC_TRY_CTX("--env-file", read_env_file(file));
    invocation.env.insert(invocation.env.end(), assignments.begin(), assignments.end());
  }
  for (const std::string& assignment : arguments.values("env")) {
    std::vector<std::string> resolved = TPROC_TRY_CTX("-e", resolve_assignment(assignment));
    invocation.env.insert(invocation.env.end(), resolved.begin(), resolved.end());
  }
  return invocation;
}

Result<UniqueFd> open_executable(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat");
  if (S_ISDIR(st.st_mode)) return Error("", EISDIR);
  if (!S_ISREG(st.st_mode)) return Error("not a regular file", EACCES);
  if (::access(path.c_str(), X_OK) < 0) return Error::from_errno("");
  return fd;
}

Result<int> run_in_space(const space::SpacePaths& paths, const RunInvocation& invocation, PreparedRun prepared) {
  protocol::RunRequest& request = prepared.request;
  std::vector<std::string> env_overrides = std::move(prepared.env);
  if (invocation.user) {
    env_overrides.insert(env_overrides.end(), invocation.user->env.begin(), invocation.user->env.end());
    request.user = invocation.user->user;
  }
  env_overrides.insert(env_overrides.end(), invocation.env.begin(), invocation.env.end());
  request.env = environment_with(env_overrides);
  if (invocation.user)
    for (const std::string& name : invocation.user->unset)
      if (std::none_of(invocation.env.begin(), invocation.env.end(),
                       [&](const std::string& given) { return given.substr(0, given.find('=')) == name; }))
        std::erase_if(request.env, [&](const std::string& entry) { return entry.substr(0, entry.find('=')) == name; });
  // Inside a root filesystem, the working directory is a path there, checked by the program's chdir.
  if (invocation.rootfs.empty())
    request.cwd = TPROC_TRY(absolute_directory(invocation.cwd.empty() ? prepared.workdir : invocation.cwd));
  else
    request.cwd = invocation.cwd.empty() ? "/" : invocation.cwd;
  request.rootfs = invocation.rootfs;
  request.hostname = invocation.hostname;
  request.network = invocation.network;
  request.private_pids = invocation.private_pids;
  request.container = invocation.container;
  if (!invocation.name.empty()) request.name = invocation.name;
  request.detach = invocation.detach;
  request.auto_remove = invocation.auto_remove;
  request.labels = invocation.labels;
  request.ignored_signals = ignored_signal_mask();

  // What an exec would hand on: the process attributes, with the signal mask as the caller set
  // it, and the descriptors it did not mark close-on-exec (not to a detached program: its stdio
  // is its log).
  sigset_t caller_mask;
  sigprocmask(SIG_SETMASK, nullptr, &caller_mask);
  CallerState caller;
  caller.read(caller_mask);
  request.caller.given = true;
  request.caller.umask = caller.umask;
  request.caller.nice = caller.nice;
  request.caller.blocked_signals = caller.blocked_signals;
  for (size_t i = 0; i < caller.limit_count; ++i)
    request.caller.limits.push_back({caller.limits[i].resource, caller.limits[i].soft, caller.limits[i].hard});
  if (!request.detach) {
    std::vector<int> inherited(protocol::kMaxInheritedFds + 1);
    const long count = inherited_fds(inherited.data(), inherited.size());
    if (count < 0) return Error::from_errno("list inherited descriptors in /proc/self/fd");
    if (static_cast<size_t>(count) > protocol::kMaxInheritedFds)
      return Error::explained(std::to_string(count) + " inherited descriptors are open: at most " +
                                  std::to_string(protocol::kMaxInheritedFds) +
                                  " can reach the program (mark the others close-on-exec, or close them)",
                              EMFILE);
    for (long i = 0; i < count; ++i)
      if (inherited[i] != prepared.held_lock_fd) request.inherited_fds.push_back(inherited[i]);
  }

  protocol::Connection connection = TPROC_TRY(connect_or_start_space(
      paths, invocation.space, invocation.new_space ? NewSpace::kWanted : NewSpace::kUnlessNearMiss));

  // Block the forwarded signals before the program exists, so none is lost in between: from
  // here they queue on the signalfd and are relayed once the pidfd is known.
  const sigset_t forwarded = forwarded_signal_set();
  if (!request.detach) sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  UniqueFd signals(::signalfd(-1, &forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return Error::from_errno("signalfd");

  // A caller's terminal becomes a pty of the program's own, relayed from here.
  std::optional<TerminalRelay> terminal;
  if (!request.detach) {
    std::optional<TerminalRelay> opened = TPROC_TRY(TerminalRelay::open_if_terminal());
    if (opened) terminal.emplace(std::move(*opened));
  }
  if (terminal) request.controlling_terminal = terminal->controlling_fd();

  // The order the daemon expects: executable, stdio unless detached, the held lock, the image.
  std::vector<int> fds{prepared.executable.get()};
  if (!request.detach)
    for (int stdio = 0; stdio < 3; ++stdio) fds.push_back(terminal && terminal->replaces(stdio) ? terminal->slave() : stdio);
  if (request.holds_lock) fds.push_back(prepared.held_lock_fd);
  if (request.passes_executable) fds.push_back(prepared.executable_image.get());
  fds.insert(fds.end(), request.inherited_fds.begin(), request.inherited_fds.end());
  const std::string context = "run " + invocation.target;
  protocol::Received reply = TPROC_TRY_CTX(context, ask(connection, request, fds, request.detach ? -1 : signals.get()));
  protocol::Started started = TPROC_TRY(expect<protocol::Started>(reply));
  // For bench/launch_bench: how long the daemon took from our request to a started child.
  if (const char* timing = std::getenv("TPROC_REPORT_LAUNCH_NS"); timing && *timing == '1')
    std::fprintf(stderr, "tproc: daemon launch %llu ns\n", static_cast<unsigned long long>(started.launch_ns));
  if (request.detach) {
    std::printf("%llu\n", static_cast<unsigned long long>(started.id));
    return 0;
  }
  if (reply.fds.empty()) return Error("the space daemon sent no pidfd", EPROTO);
  if (terminal) {
    terminal->close_slave();
    terminal->enter_raw();
  }
  return TPROC_TRY_CTX(context, supervise(connection, reply.fds[0].get(), signals.get(), invocation.target,
                                          terminal ? &*terminal : nullptr));
}

int run_exit_code(const Error& error) { return exit_status_for(error.code()); }

}  // namespace tproc::cli
