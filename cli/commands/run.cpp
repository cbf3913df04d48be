// tproc run: start a program in a space and behave as if it ran here — same stdio, argv,
// environment, cwd, signals and exit status.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "bundle/bundle_launch.hpp"
#include "bundle/manifest.hpp"
#include "cli/space_client.hpp"
#include "loader/dependency_resolver.hpp"
#include "loader/origin_paths.hpp"

extern char** environ;

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc run [OPTIONS] SPACE TARGET [ARGS...]\n\n"
    "Run TARGET (an executable, or a bundle made by 'tproc build') in SPACE, starting the space if needed. The program gets this\n"
    "terminal's stdin/stdout/stderr, ARGS, the environment and the working directory; signals sent\n"
    "to tproc run reach it, and tproc run exits with its status (128+N if killed by signal N).\n\n"
    "Options:\n"
    "  -d, --detach         start it in the background, print its id; output goes to 'tproc logs'\n"
    "      --name NAME      name it (default: the bundle's name, or the file name of TARGET);\n"
    "                       unique among running tprocs\n"
    "  -e, --env KEY=VALUE  set an environment variable (repeatable)\n"
    "      --cwd DIR        working directory (default: the current one)\n";

/// The signals a user sends to `tproc run` that are meant for the program.
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM};

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

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

/// Opens the executable here, with the caller's permissions, and hands the daemon the open file.
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

int pidfd_signal(int pidfd, int signal) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0)); }

/// Relays signals to the program until the daemon reports how it ended.
Result<int> supervise(protocol::Connection& connection, int pidfd, int signals) {
  for (;;) {
    pollfd waiting[] = {{signals, POLLIN, 0}, {connection.fd(), POLLIN, 0}};
    if (::poll(waiting, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll");
    }
    if (waiting[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(signals, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGTSTP) {
          // The program sits in the daemon's orphaned process group, where SIGTSTP would be
          // discarded: stop it for real, then stop ourselves like any job; SIGCONT resumes both.
          pidfd_signal(pidfd, SIGSTOP);
          ::kill(::getpid(), SIGSTOP);
          continue;
        }
        pidfd_signal(pidfd, static_cast<int>(info.ssi_signo));
      }
    }
    if (waiting[1].revents) {
      auto received = TPROC_TRY(connection.receive());
      if (!received) return Error("the space daemon went away before the program ended", ECONNRESET);
      if (auto* exited = std::get_if<protocol::Exited>(&received->message))
        return exited->killed ? 128 + exited->value : exited->value;
      if (auto* failure = std::get_if<protocol::Failure>(&received->message))
        return Error::explained(failure->message, failure->code);
      return Error(std::string("unexpected message ") + protocol::type_name(received->message), EPROTO);
    }
  }
}

Result<int> run(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(
      args, {{"detach", 'd', false}, {"name", 0, true}, {"env", 'e', true}, {"cwd", 0, true}}, true));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (arguments.positional().size() < 2) return Error::explained("run needs SPACE and TARGET (see 'tproc run --help')", EINVAL);
  const std::string& space_name = arguments.positional()[0];
  const std::string& target = arguments.positional()[1];
  for (const std::string& assignment : arguments.values("env"))
    if (assignment.find('=') == std::string::npos || assignment[0] == '=')
      return Error::explained("-e " + assignment + ": expected KEY=VALUE", EINVAL);

  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::RunRequest request;
  const std::vector<std::string> user_args(arguments.positional().begin() + 2, arguments.positional().end());
  std::optional<bundle::LaunchPlan> launch;
  if (bundle::looks_like_bundle(target)) {
    bundle::BundleCache cache(paths.home() + "/bundles");
    launch = TPROC_TRY_CTX("run " + target, bundle::plan_launch(cache, target, user_args));
    request.argv = launch->argv;
    request.execfn = launch->program;
    request.name = launch->manifest.name();
    for (const auto& [resource, value] : launch->limits)
      request.limits.push_back(protocol::RunLimit{resource, value});
    request.core_dumps = launch->core_dumps;
    request.bundle = launch->bundle.digest();
    for (const bundle::Endpoint& endpoint : launch->manifest.endpoints())
      request.endpoints.push_back({endpoint.name, endpoint.symbol, endpoint.kind, endpoint.ready == bundle::Readiness::at_start});
  } else {
    request.argv.assign(arguments.positional().begin() + 1, arguments.positional().end());
    request.execfn = target;
  }
  UniqueFd executable = TPROC_TRY_CTX("run " + target, open_executable(request.execfn));
  UniqueFd executable_image;  // what ld.so will map (sent when `passes_executable`)
  if (!launch && TPROC_TRY_CTX("run " + target, loader::searches_relative_to_origin(target))) {
    // Its ld.so would take $ORIGIN from /proc/self/exe, the daemon: start it through its
    // interpreter, which takes $ORIGIN from the path it is given (loader/origin_paths.hpp).
    auto interpreter = TPROC_TRY_CTX("run " + target, loader::resolve_dependencies(target));
    if (interpreter.interpreter) {
      executable_image = std::move(executable);
      executable = TPROC_TRY_CTX("run " + target, open_executable(interpreter.interpreter->host_path));
      request.execfn = interpreter.interpreter->host_path;
      std::vector<std::string> argv{interpreter.interpreter->path, "--argv0", request.argv[0], target};
      argv.insert(argv.end(), request.argv.begin() + 1, request.argv.end());
      request.argv = std::move(argv);
      request.name = base_name(target);
      request.passes_executable = true;
    }
  }

  std::vector<std::string> env_overrides = launch ? launch->env : std::vector<std::string>{};
  for (const std::string& assignment : arguments.values("env")) env_overrides.push_back(assignment);
  request.env = environment_with(env_overrides);
  request.cwd = TPROC_TRY(absolute_directory(arguments.value("cwd", launch ? launch->workdir : "")));
  if (arguments.has("name")) request.name = arguments.value("name");
  request.detach = arguments.has("detach");
  for (int signal = 1; signal < 32; ++signal) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN)
      request.ignored_signals |= uint64_t{1} << (signal - 1);
  }

  // A bundle stays marked in use (bundle_cache.hpp) for as long as the daemon holds this lock; a
  // non-PIE executable gets its range reserved by the daemon before ld.so maps it there.
  std::vector<int> extra_fds;
  if (launch) {
    request.holds_lock = true;
    extra_fds.push_back(launch->bundle.lock_fd());
    executable_image.reset(::open(launch->executable.c_str(), O_RDONLY | O_CLOEXEC));
    if (!executable_image) return Error::from_errno("run " + target + ": " + launch->executable);
    request.passes_executable = true;
  }
  if (executable_image) extra_fds.push_back(executable_image.get());

  protocol::Connection connection = TPROC_TRY(connect_or_start_space(paths, space_name));

  // Block the forwarded signals before the program exists, so none is lost in between: from
  // here they queue on the signalfd and are relayed once the pidfd is known.
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int signal : kForwarded) sigaddset(&forwarded, signal);
  if (!request.detach) sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  UniqueFd signals(::signalfd(-1, &forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return Error::from_errno("signalfd");

  std::vector<int> fds{executable.get()};
  if (!request.detach) fds.insert(fds.end(), {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO});
  fds.insert(fds.end(), extra_fds.begin(), extra_fds.end());
  protocol::Received reply = TPROC_TRY_CTX("run " + target, ask(connection, request, fds));
  protocol::Started started = TPROC_TRY(expect<protocol::Started>(reply));
  // For bench/launch_bench: how long the daemon took from our request to a started child.
  if (const char* timing = std::getenv("TPROC_REPORT_LAUNCH_NS"); timing && *timing == '1')
    std::fprintf(stderr, "tproc: daemon launch %llu ns\n", static_cast<unsigned long long>(started.launch_ns));
  if (request.detach) {
    std::printf("%llu\n", static_cast<unsigned long long>(started.id));
    return 0;
  }
  if (reply.fds.empty()) return Error("the space daemon sent no pidfd", EPROTO);
  return TPROC_TRY_CTX("run " + target, supervise(connection, reply.fds[0].get(), signals.get()));
}

/// Exit statuses as a shell and docker/podman report them: 127 not found, 126 cannot execute,
/// 125 the runtime itself failed.
int run_exit_code(const Error& error) {
  switch (error.code()) {
    case ENOENT: return 127;
    case ENOEXEC: case EACCES: case EISDIR: case ELIBBAD: case ENOTDIR: return 126;
    case EINVAL: return 125;
    default: return 125;
  }
}

}  // namespace

const Command kRunCommand{"run", "Run a program in a space", kUsage, run, run_exit_code};

}  // namespace tproc::cli
