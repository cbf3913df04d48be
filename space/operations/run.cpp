// run: load a program into the space, start it, and report its exit to the client that asked.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>

#include "common/monotonic_clock.hpp"
#include "common/regular_file.hpp"
#include "registry/space_heap.hpp"
#include "runtime/credentials.hpp"
#include "runtime/cgroup_join.hpp"
#include "runtime/container_filter.hpp"
#include "runtime/isolation.hpp"
#include "runtime/mapping_filter.hpp"
#include "runtime/spawn.hpp"
#include "space/container_spec.hpp"
#include "space/endpoint_plan.hpp"
#include "space/daemon.hpp"

namespace tproc::space {
namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

/// The absolute path of the open file `fd` (what /proc/PID/exe shows for a program run from it).
Result<std::string> path_of(const UniqueFd& fd) {
  char link[64], path[PATH_MAX];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd.get());
  const ssize_t length = ::readlink(link, path, sizeof(path));
  if (length < 0) return Error::from_errno("readlink " + std::string(link));
  if (static_cast<size_t>(length) == sizeof(path)) return Error("the program's path is too long", ENAMETOOLONG);
  return std::string(path, static_cast<size_t>(length));
}

/// The stack a tproc gets by default: the soft stack limit, as the kernel sizes a program's stack.
size_t stack_size(const rlimit64& limit) {
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur < (1 << 20)) return 8 << 20;
  return std::min<size_t>(limit.rlim_cur, 1ULL << 30);
}

/// Every RLIMIT_* a tproc gets when the request describes its caller: the caller's, as an exec
/// keeps them, with a hard limit above the daemon's own lowered to it unless the daemon may raise
/// it (CAP_SYS_RESOURCE, here: root), as a process can never raise its own; any limit the caller
/// did not send stays the daemon's (`daemon`). Indexed by resource.
std::array<rlimit64, RLIM_NLIMITS> caller_limits(const protocol::CallerAttributes& caller,
                                                 const std::array<rlimit64, RLIM_NLIMITS>& daemon) {
  std::array<rlimit64, RLIM_NLIMITS> limits = daemon;
  if (!caller.given) return limits;
  const bool may_raise = ::geteuid() == 0;
  for (const protocol::CallerLimit& limit : caller.limits) {
    if (limit.resource < 0 || limit.resource >= RLIM_NLIMITS) continue;
    rlimit64& kept = limits[limit.resource];
    const rlim64_t hard = may_raise ? limit.hard : std::min<rlim64_t>(limit.hard, kept.rlim_max);
    kept = {std::min<rlim64_t>(limit.soft, hard), hard};
  }
  return limits;
}

/// The stdio a detached tproc gets: /dev/null for input, its log files for output (space/log_files.hpp),
/// continued after the earlier runs' output when `append` (a restarted tproc's).
Result<std::vector<UniqueFd>> detached_stdio(const LogFiles& files, bool append, std::optional<LogSampler>& sampler) {
  std::vector<UniqueFd> stdio;
  stdio.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!stdio.back()) return Error::from_errno("open /dev/null");
  std::array<UniqueFd, 2> writers;
  sampler.emplace(TPROC_TRY(LogSampler::create(files, writers, append)));
  for (UniqueFd& writer : writers) stdio.push_back(std::move(writer));
  return stdio;
}

/// What the loader starts as the program, and what ld.so maps as the main program when that is
/// another file: normally the executable the client sent, and nothing else.
///
/// glibc's ld.so takes the main program's $ORIGIN from /proc/self/exe, which for every tproc names
/// the daemon. A program whose library search mentions $ORIGIN therefore starts through its
/// interpreter (`ld.so --argv0 ARGV0 PATH ARGS...`), which takes $ORIGIN from the path it is
/// given. A bundle's client arranges that itself and sends both files.
struct MainProgram {
  const UniqueFd* sent;             ///< the program the client sent
  const UniqueFd* image = nullptr;  ///< the executable ld.so maps, when the program is its interpreter
  UniqueFd interpreter;             ///< opened here, when the daemon chose the interpreter
  std::vector<std::string> argv;
  std::string execfn;

  const UniqueFd& program() const { return interpreter ? interpreter : *sent; }

  static MainProgram as_sent(const protocol::RunRequest& request, const UniqueFd& program, const UniqueFd* image) {
    return {&program, image, {}, request.argv, request.execfn};
  }

  /// The executable `sent`, started through `interpreter_path`.
  /// `root`: the directory the program will see as "/" (then both paths are inside it), or -1.
  static Result<MainProgram> through_interpreter(const protocol::RunRequest& request, const UniqueFd& sent,
                                                 const std::string& interpreter_path, int root) {
    MainProgram started{&sent, &sent, {}, {}, interpreter_path};
    // The path comes from the program's PT_INTERP: never a blocking open (a FIFO) in the daemon.
    started.interpreter = TPROC_TRY_CTX("interpreter " + interpreter_path,
                                        root >= 0 ? open_regular_file_in_root(root, interpreter_path)
                                                  : open_regular_file(interpreter_path));
    // The program's own path, from the file itself: execfn names the script when the program
    // is a script's interpreter (cli/exec_target.hpp). In a root filesystem, the client named it there.
    started.argv = {interpreter_path, "--argv0", request.argv[0], root >= 0 ? request.execfn : TPROC_TRY(path_of(sent))};
    started.argv.insert(started.argv.end(), request.argv.begin() + 1, request.argv.end());
    return started;
  }
};

}  // namespace

namespace {

/// The user a request asks for (`run -u`), checked: only a root daemon can change a tproc's user.
Result<std::optional<runtime::Credentials>> requested_credentials(const protocol::RunUser& user, const std::string& space) {
  if (!user.given) return std::optional<runtime::Credentials>{};
  if (::geteuid() != 0)
    return Error::explained("-u " + std::to_string(user.uid) + ": space '" + space + "''s daemon runs as uid " +
                                std::to_string(::geteuid()) + ", not root: it cannot start a program as another user",
                            EPERM);
  if (user.groups.size() > 65536) return Error("malformed request: more than 65536 supplementary groups", EPROTO);
  runtime::Credentials credentials{user.uid, user.gid, user.groups,
                                   {user.bounding, user.effective, user.permitted, user.inheritable, user.ambient},
                                   user.no_new_privs};
  return std::optional<runtime::Credentials>(std::move(credentials));
}

}  // namespace

void Daemon::handle(std::unique_ptr<Client> client, protocol::RunRequest request, std::vector<UniqueFd> fds) {
  const uint64_t received_ns = monotonic_ns();
  const size_t expected =
      (request.detach ? 1 : 4) + request.holds_lock + request.passes_executable + request.inherited_fds.size();
  if (fds.size() != expected)
    return reply_error(std::move(client), Error("malformed request: RunRequest needs " + std::to_string(expected) +
                                                    " descriptors, got " + std::to_string(fds.size()), EPROTO));
  if (request.argv.empty()) return reply_error(std::move(client), Error("malformed request: empty argv", EPROTO));
  // A tproc in a container (or its children) must not start a program outside it.
  if (auto shares = namespaces_->shared_by_peer(client->connection.fd()); !shares || !*shares)
    return reply_error(std::move(client),
                       Error::explained("a program in other namespaces than space '" + space_ + "''s daemon (a tproc run "
                                        "with --rootfs, --net, --pid or --hostname) may not start programs in the space: "
                                        "they would run outside its container", EPERM));
  if (request.detach && !request.inherited_fds.empty())
    return reply_error(std::move(client), Error("malformed request: a detached program inherits no descriptors", EPROTO));
  for (size_t i = 0; i < request.inherited_fds.size(); ++i)
    if (request.inherited_fds[i] < 3 || (i > 0 && request.inherited_fds[i] <= request.inherited_fds[i - 1]))
      return reply_error(std::move(client), Error("malformed request: inherited descriptor numbers must be ascending, "
                                                  "from 3 (got " + std::to_string(request.inherited_fds[i]) + ")", EPROTO));

  auto started = start_tproc(request, fds);
  if (!started) return reply_error(std::move(client), started.error());
  TprocRecord& record = **started;

  const int pidfd = record.child->pidfd();
  const protocol::Started started_reply{record.id, record.pid, monotonic_ns() - received_ns};
  const bool told = client->connection.send(started_reply, std::span<const int>(&pidfd, 1)).has_value();
  if (request.detach) {
    // Kept so `tproc restart` can start it again as it was (space/run_origin.hpp); a service's
    // tproc is its supervisor's to start again.
    if (!request.supervised) {
      if (auto kept = RunOrigin::keep(request, fds, record.in_use_lock); kept)
        record.origin = std::move(*kept);
      else
        std::fprintf(stderr, "tproc %llu: keeping its start for restart: %s\n", static_cast<unsigned long long>(record.id),
                     kept.error().describe().c_str());
    }
    return;  // the client only wanted the id
  }
  if (!told) {
    // The `tproc run` that asked is already gone: nobody would ever stop this program.
    (void)record.child->send_signal(SIGKILL);
    return;
  }

  record.client = std::move(client->connection);
  const uint64_t id = record.id;
  record.client_watch = loop_->watch(record.client->fd(), POLLIN | POLLRDHUP, [this, id](int) { on_attached_client_event(id); });
}

Result<TprocRecord*> Daemon::start_tproc(const protocol::RunRequest& request, std::vector<UniqueFd>& fds) {
  TPROC_TRY(tprocs_.check_new_name(request.name, request.detach && request.supervised, space_));
  // Recorded first so the id exists (logs are named after it); erased again if the start fails.
  TprocRecord& record = tprocs_.add(std::make_unique<TprocRecord>());
  if (auto launched = launch(record, request, fds); !launched) {
    const pid_t pid = record.pid;
    if (record.pids_cgroup) {
      pids_cgroups_->remove(record.id);
      retry_pids_cgroups();
    }
    tprocs_.erase(record.id);  // kills and reaps the child, if it was spawned
    if (pid > 0) withdraw_endpoints(pid);  // and withdraws what was published for it
    return std::move(launched).error();
  }
  const uint64_t id = record.id;
  loop_->watch(record.child->pidfd(), POLLIN, [this, id](int) { on_tproc_exit(id); });
  return &record;
}

Result<void> Daemon::launch(TprocRecord& record, const protocol::RunRequest& request, std::vector<UniqueFd>& fds) {
  record.name = !request.name.empty()           ? request.name
                : !request.default_name.empty() ? request.default_name
                                                : base_name(request.execfn);
  record.command = request.command.empty() ? join(request.argv) : request.command;
  record.argv = request.argv;
  record.app_argv = request.app_argv;
  record.env = request.env;
  record.cwd = request.cwd;
  record.started = ::time(nullptr);
  record.detached = request.detach;
  record.supervised = request.detach && request.supervised;
  record.bundle = request.bundle;
  record.labels = request.labels;
  record.bundle_name = request.bundle_name;
  record.auto_remove = request.auto_remove;
  const runtime::ContainerSpec container = container_spec(request.container);
  const runtime::Isolation isolation = TPROC_TRY(runtime::Isolation::open(
      request.rootfs, request.hostname, request.network, request.private_pids, request.container.given ? &container : nullptr));
  const std::optional<runtime::Credentials> credentials = TPROC_TRY(requested_credentials(request.user, space_));

  // The optional descriptors follow the program and its stdio, in a fixed order.
  size_t next_fd = request.detach ? 1 : 4;
  if (request.holds_lock) record.in_use_lock = std::move(fds[next_fd++]);
  auto holder = [this](uint64_t begin, uint64_t end) { return tprocs_.holder_of(begin, end); };
  const UniqueFd no_executable;
  MainProgram main_program = MainProgram::as_sent(request, fds[0], request.passes_executable ? &fds[next_fd++] : nullptr);
  const UniqueFd& executable = main_program.image ? *main_program.image : no_executable;
  if (executable) record.fixed_image = TPROC_TRY(loader::reserve_fixed_image(executable, holder));
  EndpointPlan endpoints = TPROC_TRY(EndpointPlan::resolve(executable, request.endpoints));
  if (!mappings_ && endpoints.needs_load_address())
    return Error::explained("endpoints name symbols of a position-independent executable, whose load address the daemon "
                                "learns from the reclaim mechanism, and space '" + space_ + "' runs without it",
                            ENOTSUP);

  // The caller's limits, as a direct exec would keep them, where the kernel's own meaning fits a
  // tproc (caller_limits says which); the manifest's then override them.
  const std::array<rlimit64, RLIM_NLIMITS> inherited_limits = caller_limits(request.caller, own_limits_);
  size_t stack = stack_size(inherited_limits[RLIMIT_STACK]);
  uint64_t address_space_limit = 0;
  if (request.caller.given && inherited_limits[RLIMIT_AS].rlim_cur != RLIM_INFINITY && mappings_)
    address_space_limit = inherited_limits[RLIMIT_AS].rlim_cur;
  for (const protocol::RunLimit& limit : request.limits) {
    if (limit.resource == RLIMIT_AS) address_space_limit = limit.value;
    if (limit.resource == RLIMIT_STACK) stack = std::clamp<size_t>(limit.value, 64 << 10, 1ULL << 30);
  }
  // RLIMIT_NPROC does not bind root: a root daemon puts the tproc in a pids cgroup instead.
  UniqueFd pids_procs;
  for (const protocol::RunLimit& limit : request.limits) {
    if (limit.resource != RLIMIT_NPROC || ::geteuid() != 0) continue;
    if (!pids_cgroups_) {
      auto made = PidsCgroups::create(space_);
      if (!made)
        return Error::explained("a process limit (limits.processes) cannot be enforced in space '" + space_ +
                                    "': its daemon runs as root, which RLIMIT_NPROC does not bind, and " + made.error().message(),
                                ENOTSUP);
      pids_cgroups_.emplace(std::move(*made));
    }
    pids_procs = TPROC_TRY(pids_cgroups_->make(record.id, limit.value));
    record.pids_cgroup = true;
  }
  if (!mappings_ && address_space_limit != 0)
    return Error::explained("an address_space limit is enforced by the reclaim mechanism, and space '" + space_ +
                                "' runs without it",
                            ENOTSUP);

  auto load = [&](const MainProgram& started) -> Result<loader::LoadedProgram> {
    loader::ProgramSpec spec;
    spec.executable = &started.program();
    spec.execfn = started.execfn;
    spec.argv = started.argv;
    spec.envp = request.env;
    spec.registry_address = registry_->address();
    spec.socket_path_address = reinterpret_cast<uint64_t>(published_socket_path_.c_str());
    spec.stack_size = stack;
    spec.holder = holder;
    spec.interpreters = &interpreters_;
    spec.root_directory = isolation.root_directory();
    auto program = loader::load_program(spec, *host_auxv_);
    if (program) return program;
    Error error = std::move(program).error();
    // A file the loader refuses is "not executable" to the user, like execve's ENOEXEC.
    return error.code() == 0 ? Error::explained(error.message(), ENOEXEC) : std::move(error);
  };
  record.program = TPROC_TRY(load(main_program));
  if (!main_program.image && record.program->executable.searches_relative_to_origin() && record.program->interpreter) {
    // Found out while loading it, which reads the file anyway: rare enough to load twice.
    const std::string interpreter = *record.program->executable.interpreter();
    record.program.reset();
    main_program = TPROC_TRY(MainProgram::through_interpreter(request, fds[0], interpreter, isolation.root_directory()));
    record.fixed_image = TPROC_TRY(loader::reserve_fixed_image(fds[0], holder));
    record.program = TPROC_TRY(load(main_program));
  }

  std::vector<UniqueFd> stdio;
  if (request.detach) {
    record.log = LogFiles::in(paths_.log_dir(space_), record.id);
    stdio = TPROC_TRY(detached_stdio(*record.log, record.restarts > 0, record.log_sampler));
  } else {
    for (size_t i = 1; i < 4; ++i) stdio.push_back(std::move(fds[i]));
  }

  // The channel the child sends its mapping-filter listener back on (runtime/mapping_filter.hpp),
  // in a space that reclaims.
  UniqueFd ours, theirs;
  if (mappings_) {
    int channel[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0) return Error::from_errno("socketpair");
    ours.reset(channel[0]);
    theirs.reset(channel[1]);
  }

  // Everything the child does to itself before its entry point, in the order it must happen.
  record.script = std::make_unique<runtime::LaunchScript>();
  runtime::LaunchScript& script = *record.script;
  std::vector<runtime::FdPlacement> placements;
  for (int target = 0; target < 3; ++target) placements.push_back({stdio[target].get(), target});
  for (size_t i = 0; i < request.inherited_fds.size(); ++i) placements.push_back({fds[next_fd + i].get(), request.inherited_fds[i]});
  // The listener channel, and then the listener the filter creates at the lowest free number,
  // take the first numbers the program's descriptors leave free; both are closed before it runs.
  const int channel_slot = runtime::LaunchScript::first_free_number(placements, 3);
  if (mappings_) placements.push_back({theirs.get(), channel_slot});
  const int listener_slot = runtime::LaunchScript::first_free_number(placements, channel_slot + 1);
  // The pids cgroup's cgroup.procs, above the listener's number so the listener still takes its own.
  const int cgroup_slot = runtime::LaunchScript::first_free_number(placements, listener_slot + 1);
  if (pids_procs) placements.push_back({pids_procs.get(), cgroup_slot});
  // Every number the placement uses, its temporary copies included, must be below the daemon's
  // open-files limit, which the child has until its own limits are set.
  const rlimit64& files = own_limits_[RLIMIT_NOFILE];
  int highest = 0;
  for (const runtime::FdPlacement& placement : placements) highest = std::max({highest, placement.from, placement.to});
  if (static_cast<rlim64_t>(highest) + placements.size() >= files.rlim_cur)
    return Error::explained("descriptor " + std::to_string(highest) + " is beyond what the daemon of space '" + space_ +
                                "' may open (its open-files limit is " + std::to_string(files.rlim_cur) +
                                "); start the space from a shell with a higher `ulimit -n`",
                            EMFILE);
  // First of all, its cgroups: nothing it does runs outside them.
  const std::vector<UniqueFd> cgroups = TPROC_TRY(runtime::open_cgroup_procs(request.cgroups));
  runtime::add_cgroup_joins(script, request.cgroups, cgroups);
  isolation.add_joins(script);  // with the daemon's descriptor, before placement closes it
  script.place_fds(placements);  // a copy: the mounts below count what it places
  if (pids_procs) {
    // Into its pids cgroup before its program runs: "0" is the writer itself (space/pids_cgroup.hpp).
    static const char kItself = '0';
    script.add("join the pids cgroup", SYS_write, {static_cast<uint64_t>(cgroup_slot), reinterpret_cast<uint64_t>(&kItself), 1, 0, 0, 0});
    script.add("close the pids cgroup", SYS_close, {static_cast<uint64_t>(cgroup_slot), 0, 0, 0, 0, 0});
  }
  // The child's descriptors are exactly the placed ones now (less the pids cgroup's): the
  // container's mounts get the two lowest numbers free, as the kernel will hand them out.
  std::vector<runtime::FdPlacement> open_now;
  for (const runtime::FdPlacement& placement : placements)
    if (!pids_procs || placement.to != cgroup_slot) open_now.push_back(placement);
  const int first_free = runtime::LaunchScript::first_free_number(open_now, 0);
  open_now.push_back({-1, first_free});
  isolation.add_root_and_names(script, {first_free, runtime::LaunchScript::first_free_number(open_now, 0)});
  const std::string cwd = request.cwd.empty() ? "/" : request.cwd;
  if (!credentials) script.change_directory(cwd);
  script.set_name(record.name);
  if (request.controlling_terminal >= 0 && request.controlling_terminal < 3 && !request.detach) {
    // A session of its own, whose controlling terminal is the pty the client relays.
    script.add("setsid", SYS_setsid, {0, 0, 0, 0, 0, 0});
    script.add("take the terminal", SYS_ioctl, {static_cast<uint64_t>(request.controlling_terminal), TIOCSCTTY, 0, 0, 0, 0});
  } else {
    script.new_process_group();
  }
  for (int signal = 1; signal <= 64; ++signal)
    if ((request.ignored_signals >> (signal - 1)) & 1 && signal != SIGKILL && signal != SIGSTOP) script.ignore_signal(signal);
  if (mappings_) runtime::add_mapping_filter(script, channel_slot, listener_slot, ::geteuid() != 0, mappings_->mprotect_guarded());
  // Limits after the filter: its listener needs a free descriptor under RLIMIT_NOFILE.
  if (request.caller.given) {
    script.set_umask(request.caller.umask & 0777);
    // Below the daemon's own niceness only with privilege, as for any process: EACCES keeps ours.
    script.add("set nice " + std::to_string(request.caller.nice), SYS_setpriority,
               {PRIO_PROCESS, 0, static_cast<uint64_t>(static_cast<int64_t>(request.caller.nice)), 0, 0, 0}, EACCES);
    for (int resource = 0; resource < RLIM_NLIMITS; ++resource)
      if (resource != RLIMIT_AS && resource != RLIMIT_DATA)
        script.set_limit(resource, inherited_limits[resource].rlim_cur, inherited_limits[resource].rlim_max);
  } else if (tproc_open_files_.rlim_max != 0) {
    script.set_limit(RLIMIT_NOFILE, tproc_open_files_.rlim_cur, tproc_open_files_.rlim_max);
  }
  // Cores as the caller's `ulimit -c` says, like every other limit (Debian's soft default is 0). A
  // core holds the whole space, but nothing a tproc could not read anyway (DESIGN.md). Without a
  // caller (compose) cores stay off, and a manifest's core_dumps raises the soft limit to the hard.
  const rlimit64& core = inherited_limits[RLIMIT_CORE];
  if (request.core_dumps)
    script.set_limit(RLIMIT_CORE, core.rlim_max, core.rlim_max);
  else if (!request.caller.given)
    script.set_limit(RLIMIT_CORE, 0, core.rlim_max);
  for (const protocol::RunLimit& limit : request.limits)
    if (limit.resource != RLIMIT_AS) script.set_limit(limit.resource, limit.value, limit.value);
  if (credentials) {
    // Last, with every privileged step done; then the directory and the program are checked
    // with the new user's rights, as a direct run as that user would be (runtime/credentials.hpp).
    const int last = TPROC_TRY(runtime::last_capability());
    runtime::add_credentials(script, *credentials, TPROC_TRY(runtime::own_capabilities(last)), last);
    script.change_directory(cwd);
    const std::string program = isolation.root_directory() >= 0 ? request.execfn : TPROC_TRY(path_of(main_program.program()));
    const char* kept = static_cast<const char*>(script.keep(program.c_str(), program.size() + 1));
    script.add("check that uid " + std::to_string(credentials->uid) + " may execute " + program, SYS_faccessat2,
               {static_cast<uint64_t>(AT_FDCWD), reinterpret_cast<uint64_t>(kept), X_OK, AT_EACCESS, 0, 0});
  }
  script.set_signal_mask(request.caller.given ? request.caller.blocked_signals : 0);
  // Last: a container's profile applies to its program, never to the launch's own calls.
  if (!request.seccomp_filter.empty())
    TPROC_TRY(runtime::add_container_filter(script, request.seccomp_filter, request.seccomp_flags, ::geteuid() != 0));

  const loader::LoadedProgram& loaded = *record.program;
  record.child = TPROC_TRY(runtime::spawn_in_space(script, {loaded.entry, loaded.stack_pointer, loaded.stack.base()},
                                                                 isolation.clone_flags()));
  record.pid = record.child->pid();
  TPROC_TRY(publish_endpoints(record, std::move(endpoints)));
  if (!mappings_) return ok();

  // The listener arrives once the child has run its first steps. Until the daemon holds it, the
  // child's first mapping call simply waits in the filter's queue, so nobody waits here for it.
  // The keeper gets a copy of the listener as it arrives, with a pidfd of its own (the record's
  // may be closed by then).
  theirs.reset();
  UniqueFd pidfd(::fcntl(record.child->pidfd(), F_DUPFD_CLOEXEC, 0));
  if (!pidfd) return Error::from_errno("dup pidfd");
  const uint64_t id = record.id;
  auto keep = [this, id, pidfd = std::make_shared<UniqueFd>(std::move(pidfd))](int listener) {
    if (auto kept = keeper_->keep(listener, pidfd->get()); !kept)
      std::fprintf(stderr, "tproc %llu: %s\n", static_cast<unsigned long long>(id), kept.error().describe().c_str());
    pidfd->reset();
  };
  // What the program's /proc/self/exe names (space/program_exe.hpp): the program ld.so maps, not
  // ld.so when that is what the daemon started. Without it, the program would find the daemon.
  auto exe = ProgramExe::open(main_program.image ? *main_program.image : *main_program.sent, own_exe_);
  if (!exe) std::fprintf(stderr, "tproc %llu: %s\n", static_cast<unsigned long long>(id), exe.error().describe().c_str());
  return mappings_->adopt(std::move(ours), id, record.pid, address_space_limit, std::move(keep),
                          exe ? std::move(*exe) : nullptr);
}

Result<void> Daemon::publish_endpoints(const TprocRecord& record, EndpointPlan plan) {
  if (plan.empty()) return ok();
  const uint64_t id = record.id;
  auto shared = std::make_shared<const EndpointPlan>(std::move(plan));
  if (shared->needs_load_address()) {
    {
      std::lock_guard lock(publications_mutex_);
      pending_publications_[id] = PendingPublication{record.pid, shared};
    }
    // ld.so maps the executable in a moment; its first mapping says where (space/endpoint_plan.hpp).
    // Not under publications_mutex_: the mapping thread takes its own lock, then that one.
    mappings_->watch_image(id, shared->device(), shared->inode(), [this, id](uint64_t address) { publish_at_load(id, address); });
    return ok();
  }
  std::lock_guard lock(publications_mutex_);
  PendingPublication& pending = pending_publications_[id];
  pending = PendingPublication{record.pid, shared, 0};
  std::vector<Error> failures;
  publish_pending(id, pending, kPublishPatienceMs, &failures);
  if (failures.empty()) return ok();
  pending_publications_.erase(id);
  return std::move(failures.front());
}

void Daemon::publish_at_load(uint64_t id, uint64_t address) {
  std::lock_guard lock(publications_mutex_);
  auto found = pending_publications_.find(id);
  if (found == pending_publications_.end()) return;  // the tproc already ended
  found->second.bias = address - found->second.plan->link_base();
  const pid_t pid = found->second.pid;
  std::vector<Error> failures;
  publish_pending(id, found->second, kPublishPatienceMs, &failures);
  for (const Error& failure : failures) std::fprintf(stderr, "pid %d: %s\n", pid, failure.describe().c_str());
}

bool Daemon::publish_pending(uint64_t id, PendingPublication& pending, int patience_ms, std::vector<Error>* failures) {
  while (pending.next < pending.plan->size()) {
    auto published = pending.plan->publish(*endpoints_, pending.pid, *pending.bias, pending.next, patience_ms);
    if (published) break;
    if (published.error().code() == EBUSY) {
      // A tproc holds the registry's writer lock (stopped, perhaps): the event loop tries again.
      const itimerspec soon{{0, 0}, {0, kPublishRetryIntervalNs}};
      ::timerfd_settime(publish_timer_.get(), 0, &soon, nullptr);
      return false;
    }
    failures->push_back(std::move(published).error());
  }
  pending_publications_.erase(id);
  return true;
}

void Daemon::retry_publications() {
  uint64_t expirations;
  (void)!::read(publish_timer_.get(), &expirations, sizeof(expirations));
  {
    std::lock_guard lock(publications_mutex_);
    std::vector<uint64_t> ready;
    for (const auto& [id, pending] : pending_publications_)
      if (pending.bias) ready.push_back(id);
    for (uint64_t id : ready) {
      PendingPublication& pending = pending_publications_.at(id);
      std::vector<Error> failures;
      const pid_t pid = pending.pid;
      const bool done = publish_pending(id, pending, kPublishRetryPatienceMs, &failures);
      for (const Error& failure : failures) std::fprintf(stderr, "pid %d: %s\n", pid, failure.describe().c_str());
      if (!done) break;  // the lock is still held: the timer is armed again
    }
  }
  loop_->watch(publish_timer_.get(), POLLIN, [this](int) { retry_publications(); });
}

void Daemon::on_tproc_exit(uint64_t id) {
  TprocRecord* record = tprocs_.get(id);
  if (!record || !record->child) return;
  auto status = record->child->try_reap();
  if (!status || !*status) {  // not exited after all: keep watching
    loop_->watch(record->child->pidfd(), POLLIN, [this, id](int) { on_tproc_exit(id); });
    return;
  }
  record->status = **status;
  // The last of its output is in the index before anyone hears of the exit (what a child it left
  // writes later gets the file's time: space/log_files.hpp).
  if (record->log_sampler) {
    record->log_sampler->sample();
    record->log_sampler.reset();
  }
  // Its heap caches go before anyone hears of the exit, so what runs next adopts its pages.
  if (heap_) registry::SpaceHeap(heap_->get()).release_owner(record->pid);

  if (record->client) {
    loop_->cancel(record->client_watch);
    if (record->script->failed()) {
      const Error failure("start: " + record->script->failed_step(), record->script->failed_errno());
      (void)record->client->send(protocol::Failure{failure.describe(), failure.code()});
    } else {
      (void)record->client->send(protocol::Exited{record->status->killed, record->status->value, record->status->core_dumped});
    }
  }
  // The process is gone: its endpoints go (waiters wake and see it), then what it mapped and what
  // the loader mapped for it. Memory owned by the space (registry, heap) stays.
  withdraw_endpoints(record->pid);
  record->client.reset();
  auto release_loaded = [record] {
    record->program.reset();
    record->fixed_image.reset();
  };
  if (mappings_) {
    mappings_->reclaim(id, release_loaded);
  } else {
    release_loaded();  // without reclaim, what the tproc mapped itself stays in the space
  }
  UniqueFd in_use_lock = std::move(record->in_use_lock);  // a restart keeps its bundle in use
  if (freezer_) freezer_->remove(id);
  record->paused = false;
  if (record->pids_cgroup) {
    pids_cgroups_->remove(id);
    retry_pids_cgroups();
  }
  record->child.reset();
  record->script.reset();
  std::vector<TprocRecord::ExitWaiter> waiters = std::move(record->exit_waiters);
  const protocol::Exited exited{record->status->killed, record->status->value, record->status->core_dumped};
  // A tproc that `tproc restart` stopped starts again here, with its id (space/operations/restart.cpp).
  const bool restarted = record->restart_batch != 0 && restart_after_exit(*record, std::move(in_use_lock), waiters);
  in_use_lock.reset();
  if (!restarted) {
    if (!record->detached || record->auto_remove) {
      tprocs_.remove(id);
    } else {
      tprocs_.retire(id, Retention{});
    }
  }
  // Answered once the record is as it stays: after `rm -f` the name is free again.
  for (TprocRecord::ExitWaiter& waiter : waiters)
    (void)waiter.connection.send(waiter.removes ? protocol::Message(protocol::Done{}) : protocol::Message(exited));
  // A quiet moment, with the client answered and nothing of the tproc left to run alongside:
  // map the next launch's interpreter now rather than during it.
  interpreters_.refill();
}

void Daemon::retry_pids_cgroups() {
  uint64_t expirations;
  (void)!::read(pids_timer_.get(), &expirations, sizeof(expirations));
  if (!pids_cgroups_ || !pids_cgroups_->retry()) return;
  // The tproc's children, killed with it, leave its cgroup a moment later: look again soon.
  const itimerspec soon{{0, 0}, {0, kPidsCgroupRetryIntervalNs}};
  ::timerfd_settime(pids_timer_.get(), 0, &soon, nullptr);
}

void Daemon::on_pids_timer() {
  retry_pids_cgroups();
  loop_->watch(pids_timer_.get(), POLLIN, [this](int) { on_pids_timer(); });
}

void Daemon::on_attached_client_event(uint64_t id) {
  TprocRecord* record = tprocs_.get(id);
  if (!record || !record->client) return;
  auto received = record->client->receive();
  if (received && *received) {  // an attached client has nothing to say; keep listening
    record->client_watch = loop_->watch(record->client->fd(), POLLIN | POLLRDHUP, [this, id](int) { on_attached_client_event(id); });
    return;
  }
  if (!received && received.error().code() == EAGAIN) {
    record->client_watch = loop_->watch(record->client->fd(), POLLIN | POLLRDHUP, [this, id](int) { on_attached_client_event(id); });
    return;
  }
  // The `tproc run` that owned this tproc is gone (killed, or its terminal closed): stop the program.
  record->client.reset();
  (void)record->child->send_signal(SIGKILL);
  if (record->paused) (void)set_paused(*record, false);  // a frozen task dies only once thawed
}

}  // namespace tproc::space
