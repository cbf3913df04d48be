// tproc-oci: tproc as an OCI runtime (issue 19), the command line podman, CRI-O and containerd's
// runc shim call: create, start, state, kill, delete, features, --version, with runc's global
// --root, --log, --log-format and --systemd-cgroup. A container is one tproc in the space its
// annotation io.tproc.space names, run by a stand-in process (tproc run's, cli/run_session.hpp)
// whose pid, signals and exit status are the container's: the monitor waits for that pid.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/arguments.hpp"
#include "cli/root_target.hpp"
#include "cli/run_session.hpp"
#include "cli/signal_names.hpp"
#include "cli/space_client.hpp"
#include "oci/bundle_config.hpp"
#include "oci/container_cgroups.hpp"
#include "oci/container_state.hpp"
#include "tproc_version.h"

extern char** environ;

namespace tproc::oci {
namespace {

constexpr const char* kUsage =
    "Usage: tproc-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n\n"
    "tproc as an OCI runtime: each container is a tproc that shares its space's memory (annotation\n"
    "io.tproc.space=NAME picks the space; default: default).\n\n"
    "Commands:\n"
    "  create --bundle DIR [--pid-file FILE] ID   create the container; it waits for start\n"
    "  start ID                                   run the created container's process (an error\n"
    "                                             if its config.json has none)\n"
    "  state ID                                   print its state (JSON)\n"
    "  kill ID [SIGNAL]                           send SIGNAL (default TERM)\n"
    "  delete [--force] ID                        remove it (--force: kill it first)\n"
    "  features                                   print what this runtime supports (JSON)\n\n"
    "Global options:\n"
    "      --root DIR        where container state is kept (default /run/tproc-oci)\n"
    "      --log FILE        also write errors to FILE\n"
    "      --log-format FMT  text (default) or json\n"
    "      --systemd-cgroup  linux.cgroupsPath is systemd's slice:prefix:name, laid out as systemd\n"
    "                        lays it (made through cgroupfs: refused where systemd runs)\n"
    "  -v, --version         print the version\n";

struct Globals {
  std::string root = "/run/tproc-oci";
  std::string log;
  bool json_log = false;
  bool systemd_cgroup = false;
};

/// Writes `error` to stderr and, with --log, to the log in its format (runc's json: level, msg, time).
void report(const Globals& globals, const std::string& message) {
  std::fprintf(stderr, "tproc-oci: %s\n", message.c_str());
  if (globals.log.empty()) return;
  FILE* log = std::fopen(globals.log.c_str(), "a");
  if (!log) return;
  char now[64];
  const time_t seconds = ::time(nullptr);
  std::strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
  if (globals.json_log)
    std::fprintf(log, "%s\n", nlohmann::json({{"level", "error"}, {"msg", message}, {"time", now}}).dump().c_str());
  else
    std::fprintf(log, "time=\"%s\" level=error msg=\"%s\"\n", now, message.c_str());
  std::fclose(log);
}

std::string rfc3339_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", std::gmtime(&now.tv_sec));
  char full[96];
  std::snprintf(full, sizeof(full), "%s.%09ldZ", text, now.tv_nsec);
  return full;
}

Result<void> make_directories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) < 0 && errno != EEXIST) return Error::from_errno("--root: mkdir " + prefix);
    if (slash == std::string::npos) return ok();
  }
}

Result<void> write_pid_file(const std::string& path, pid_t pid) {
  const std::string temporary = path + ".tproc-oci";
  UniqueFd file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file) return Error::from_errno("--pid-file " + path);
  const std::string text = std::to_string(pid);
  if (::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Error::from_errno("--pid-file " + path);
  if (::rename(temporary.c_str(), path.c_str()) < 0) return Error::from_errno("--pid-file " + path);
  return ok();
}

/// What the stand-in answers `start` on the fifo.
constexpr char kStarting = '0';
constexpr char kNoProcess = 'n';

/// The stand-in, in the forked child: waits for `start` on the fifo, then becomes `tproc run` of
/// the container's process, and ends as it ends. Never returns.
[[noreturn]] void stand_in(const Globals& globals, const BundleConfig& config, const space::SpacePaths& paths,
                           const std::string& fifo, int preserved_fds, const std::vector<std::string>& cgroups) {
  // Only stdio and the descriptors the caller asked to preserve reach the container.
  ::close_range(3 + static_cast<unsigned>(preserved_fds), ~0U, CLOSE_RANGE_CLOEXEC);
  UniqueFd waiting(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // blocks until `start` opens it
  // '0': the process runs; 'n': config.json had none, which `start` reports; either way the start ends it.
  const char answer = config.args.empty() ? kNoProcess : kStarting;
  if (!waiting || ::write(waiting.get(), &answer, 1) != 1) {
    report(globals, "container " + config.bundle + ": the start handshake failed: " + std::strerror(errno));
    ::_exit(125);
  }
  waiting.reset();
  if (config.args.empty()) ::_exit(125);
  for (const Rlimit& limit : config.rlimits) {
    const rlimit value{limit.soft, limit.hard};
    // What the stand-in has, the tproc gets, as an exec keeps it (protocol::CallerAttributes).
    if (::setrlimit(limit.resource, &value) < 0) {
      report(globals, "config.json process.rlimits " + std::to_string(limit.resource) + ": " + std::strerror(errno));
      ::_exit(125);
    }
  }
  if (config.umask >= 0) ::umask(static_cast<mode_t>(config.umask));

  cli::RunInvocation invocation;
  invocation.space = config.space;
  invocation.target = config.args[0];
  invocation.args.assign(config.args.begin() + 1, config.args.end());
  invocation.cwd = config.cwd;
  invocation.rootfs = config.rootfs;
  invocation.hostname = config.hostname;
  invocation.network = config.network;
  invocation.private_pids = config.private_pids;
  invocation.container = config.container;
  auto run = [&]() -> Result<int> {
    cli::PreparedRun prepared = TPROC_TRY(cli::prepare_in_root(invocation));
    prepared.request.seccomp_filter = config.seccomp.program;
    prepared.request.seccomp_flags = config.seccomp.flags;
    prepared.request.cgroups = cgroups;
    // The container's environment is exactly process.env: run_in_space hands on ours.
    static std::vector<std::string> kept;
    static std::vector<char*> entries;
    kept = config.env;
    for (std::string& entry : kept) entries.push_back(entry.data());
    entries.push_back(nullptr);
    environ = entries.data();
    return cli::run_in_space(paths, invocation, std::move(prepared));
  };
  auto status = run();
  if (!status) {
    report(globals, status.error().describe());
    ::_exit(cli::run_exit_code(status.error()));
  }
  std::fflush(stdout);
  ::_exit(*status);
}

/// A container while `create` makes it: ROOT/ID and, once forked, its stand-in. Unless committed,
/// both go when this ends, so a create that fails leaves nothing under that ID (runc's too).
class Creating {
 public:
  Creating(std::string root, std::string id) : root_(std::move(root)), id_(std::move(id)) {}
  Creating(const Creating&) = delete;
  Creating& operator=(const Creating&) = delete;
  ~Creating() {
    if (committed_) return;
    if (stand_in_ > 0) {
      ::kill(stand_in_, SIGKILL);
      ::waitpid(stand_in_, nullptr, 0);
    }
    (void)remove_container_dir(root_, id_);
  }
  void own_stand_in(pid_t pid) { stand_in_ = pid; }
  void commit() { committed_ = true; }

 private:
  std::string root_, id_;
  pid_t stand_in_ = 0;
  bool committed_ = false;
};

/// Ok when 1 to `most` operands were given; else an error naming the command and what it takes.
Result<void> operands(const cli::Arguments& arguments, std::string_view verb, size_t most, std::string_view what) {
  const size_t given = arguments.positional().size();
  if (given >= 1 && given <= most) return ok();
  return Error::explained(std::string(verb) + " takes " + std::string(what) + ", got " + std::to_string(given) +
                              " operands (see tproc-oci --help)",
                          EINVAL);
}

Result<int> create(const Globals& globals, std::span<char* const> args) {
  cli::Arguments arguments = TPROC_TRY(cli::Arguments::parse(
      args, {{"bundle", 'b', true}, {"pid-file", 0, true}, {"console-socket", 0, true}, {"no-pivot", 0, false},
             {"no-new-keyring", 0, false}, {"preserve-fds", 0, true}}));
  TPROC_TRY(operands(arguments, "create", 1, "ID"));
  const std::string id = arguments.positional()[0];
  TPROC_TRY(check_container_id(id));
  if (arguments.has("no-pivot"))
    return Error::explained("create --no-pivot: tproc-oci always uses pivot_root", ENOTSUP);
  const BundleConfig config = TPROC_TRY(BundleConfig::read(arguments.value("bundle", ".")));
  if (arguments.has("console-socket"))
    return Error::explained("create --console-socket: a terminal is not supported by tproc-oci yet", ENOTSUP);
  int preserved = 0;
  if (arguments.has("preserve-fds")) {
    const std::string text = arguments.value("preserve-fds");
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0 || value > 1000)
      return Error::explained("--preserve-fds '" + text + "': not a count of descriptors", EINVAL);
    preserved = static_cast<int>(value);
  }

  // The space first, so that a space that cannot start fails create, not the container later.
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  TPROC_TRY_CTX("space " + config.space, cli::connect_or_start_space(paths, config.space));

  TPROC_TRY(make_directories(globals.root));
  const std::string directory = container_dir(globals.root, id);
  if (::mkdir(directory.c_str(), 0700) < 0) {
    if (errno == EEXIST) return Error::explained("container " + id + " already exists", EEXIST);
    return Error::from_errno("mkdir " + directory);
  }
  Creating creating(globals.root, id);
  // The container's cgroups, made before its process exists; gone again if create fails.
  auto cgroups = make_cgroups(config.cgroups, id, globals.systemd_cgroup);
  if (!cgroups) return std::move(cgroups).error();
  auto fail = [&](Error error) -> Error {
    (void)remove_cgroups(*cgroups);
    return error;
  };
  const std::string fifo = exec_fifo(globals.root, id);
  if (::mkfifo(fifo.c_str(), 0600) < 0) return fail(Error::from_errno("mkfifo " + fifo));

  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return fail(Error::from_errno("fork"));
  if (pid == 0) stand_in(globals, config, paths, fifo, preserved, *cgroups);
  creating.own_stand_in(pid);

  ContainerState state;
  state.id = id;
  state.pid = pid;
  state.start_time = process_start_time(pid);
  state.bundle = config.bundle;
  state.created = rfc3339_now();
  state.annotations = config.annotations;
  state.cgroups = *cgroups;
  auto saved = state.save(globals.root);
  if (saved && arguments.has("pid-file")) saved = write_pid_file(arguments.value("pid-file"), pid);
  if (!saved) return fail(std::move(saved).error());  // `creating` then kills and reaps the stand-in
  creating.commit();
  return 0;
}

Result<ContainerState> load_one(const Globals& globals, const cli::Arguments& arguments, std::string_view verb,
                                size_t most, std::string_view what) {
  TPROC_TRY(operands(arguments, verb, most, what));
  return ContainerState::load(globals.root, arguments.positional()[0]);
}

Result<int> start(const Globals& globals, std::span<char* const> args) {
  cli::Arguments arguments = TPROC_TRY(cli::Arguments::parse(args, {}));
  const ContainerState state = TPROC_TRY(load_one(globals, arguments, "start", 1, "ID"));
  const std::string status = state.status(globals.root);
  if (status != "created") return Error::explained("container " + state.id + " is " + status + ", not created", EINVAL);
  const std::string fifo = exec_fifo(globals.root, state.id);
  // Non-blocking: a stand-in that died would otherwise leave `start` waiting for ever.
  UniqueFd reading(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!reading) return Error::from_errno("container " + state.id + ": open " + fifo);
  pollfd ready{reading.get(), POLLIN, 0};
  char byte = 0;
  if (::poll(&ready, 1, 10000) != 1 || ::read(reading.get(), &byte, 1) != 1)
    return Error::explained("container " + state.id + ": its process did not answer the start", ETIMEDOUT);
  ::unlink(fifo.c_str());
  // The spec's process is required to start; its stand-in has ended, so the container is stopped.
  if (byte == kNoProcess)
    return Error::explained("container " + state.id + ": its config.json has no process to start", EINVAL);
  return 0;
}

Result<int> state_of(const Globals& globals, std::span<char* const> args) {
  cli::Arguments arguments = TPROC_TRY(cli::Arguments::parse(args, {}));
  const ContainerState state = TPROC_TRY(load_one(globals, arguments, "state", 1, "ID"));
  std::printf("%s\n", state.to_json(globals.root).c_str());
  return 0;
}

Result<int> kill_container(const Globals& globals, std::span<char* const> args) {
  cli::Arguments arguments = TPROC_TRY(cli::Arguments::parse(args, {{"all", 'a', false}}));
  const ContainerState state = TPROC_TRY(load_one(globals, arguments, "kill", 2, "ID and at most one SIGNAL"));
  const int signal = TPROC_TRY(cli::parse_signal(arguments.positional().size() > 1 ? arguments.positional()[1] : "TERM"));
  if (state.status(globals.root) == "stopped")
    return Error::explained("container " + state.id + " is not running", ESRCH);
  // The stand-in relays it to the tproc, as `tproc run` does; SIGKILL ends both at once.
  if (::kill(state.pid, signal) < 0) return Error::from_errno("kill container " + state.id);
  return 0;
}

Result<int> delete_container(const Globals& globals, std::span<char* const> args) {
  cli::Arguments arguments = TPROC_TRY(cli::Arguments::parse(args, {{"force", 'f', false}}));
  auto loaded = load_one(globals, arguments, "delete", 1, "ID");
  // As runc: deleting with --force what is already gone is done (podman cleans up after a failed create
  // so), and that removes what a create killed before it wrote state.json left of it.
  if (!loaded && loaded.error().code() == ENOENT && arguments.has("force")) {
    TPROC_TRY(remove_container_dir(globals.root, arguments.positional()[0]));
    return 0;
  }
  const ContainerState state = TPROC_TRY(std::move(loaded));
  const std::string status = state.status(globals.root);
  if (status != "stopped") {
    if (!arguments.has("force"))
      return Error::explained("container " + state.id + " is " + status + ": stop it first, or delete --force", EBUSY);
    ::kill(state.pid, SIGKILL);
    // Its monitor reaps it; until then it is a zombie, which counts as stopped.
    for (int waited = 0; waited < 500 && state.status(globals.root) != "stopped"; ++waited) ::usleep(10000);
  }
  // Then its cgroups, ending what it left running in them; its record stays until they are gone.
  TPROC_TRY_CTX("delete container " + state.id, remove_cgroups(state.cgroups));
  TPROC_TRY(remove_container_dir(globals.root, state.id));
  return 0;
}

int features() {
  const nlohmann::json description = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks", nlohmann::json::array()},
      {"mountOptions", nlohmann::json::array()},
      {"linux",
       {{"namespaces", {"mount", "network", "pid", "uts"}},
        {"capabilities", nlohmann::json::array()},
        {"cgroup", {{"v1", true}, {"v2", false}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
            "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"supportedFlags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"io.tproc.space", "the tproc space the container joins (default: default)"}}}};
  std::printf("%s\n", description.dump(2).c_str());
  return 0;
}

Result<int> dispatch(Globals& globals, std::span<char* const> args) {
  size_t next = 1;
  for (; next < args.size(); ++next) {
    const std::string option = args[next];
    auto value = [&](const std::string& name) -> Result<std::string> {
      if (option.rfind(name + "=", 0) == 0) return option.substr(name.size() + 1);
      if (next + 1 >= args.size()) return Error::explained(name + " needs a value", EINVAL);
      return std::string(args[++next]);
    };
    auto is = [&](const std::string& name) { return option == name || option.rfind(name + "=", 0) == 0; };
    if (option == "-v" || option == "--version") {
      std::printf("tproc-oci version %s\ncommit: %s\nspec: 1.0.2\n", TPROC_VERSION, TPROC_GIT_COMMIT);
      return 0;
    }
    if (option == "-h" || option == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (is("--root")) globals.root = TPROC_TRY(value("--root"));
    else if (is("--log")) globals.log = TPROC_TRY(value("--log"));
    else if (is("--log-format")) {
      const std::string format = TPROC_TRY(value("--log-format"));
      if (format != "text" && format != "json")
        return Error::explained("--log-format '" + format + "': not a log format (text, json)", EINVAL);
      globals.json_log = format == "json";
    } else if (option == "--systemd-cgroup") {
      globals.systemd_cgroup = true;
    } else if (option == "--debug") {
      // Accepted as runc accepts it.
    } else if (option.rfind("-", 0) == 0) {
      return Error::explained("unknown global option '" + option + "' (see tproc-oci --help)", EINVAL);
    } else {
      break;
    }
  }
  if (next >= args.size()) return Error::explained("no command (see tproc-oci --help)", EINVAL);
  if (globals.root.empty() || globals.root[0] != '/')
    return Error::explained("--root '" + globals.root + "': not an absolute path", EINVAL);
  const std::string command = args[next];
  const std::span<char* const> rest = args.subspan(next + 1);
  if (command == "create") return create(globals, rest);
  if (command == "start") return start(globals, rest);
  if (command == "state") return state_of(globals, rest);
  if (command == "kill") return kill_container(globals, rest);
  if (command == "delete") return delete_container(globals, rest);
  if (command == "features") return features();
  return Error::explained("unknown command '" + command + "' (see tproc-oci --help)", EINVAL);
}

}  // namespace
}  // namespace tproc::oci

int main(int argc, char** argv) {
  tproc::oci::Globals globals;
  auto status = tproc::oci::dispatch(globals, std::span<char* const>(argv, static_cast<size_t>(argc)));
  if (status) return *status;
  tproc::oci::report(globals, status.error().describe());
  return 1;
}
