#include "space/daemon.hpp"


#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/ignored_signals.hpp"
#include "common/monotonic_clock.hpp"
#include "registry/registry_layout.hpp"
#include "registry/space_heap.hpp"
#include "space/space_name.hpp"
#include "common/trusted_directory.hpp"

namespace tproc::space {
namespace {

void write_lock_holders(int lock, pid_t daemon, pid_t keeper) {
  const std::string text = "daemon " + std::to_string(daemon) + "\nkeeper " + std::to_string(keeper) + "\n";
  if (::ftruncate(lock, 0) == 0) (void)!::pwrite(lock, text.data(), text.size(), 0);
}

/// Takes the space's lock file `name` in the runtime dir for the daemon's lifetime. Retries if
/// the file was replaced between open and flock (a daemon that was exiting unlinked it). Opened
/// without following links: a symlink planted there must not let us truncate its target.
Result<UniqueFd> take_lock(int runtime_dir, const std::string& name, const std::string& path, const std::string& space) {
  for (;;) {
    UniqueFd lock(::openat(runtime_dir, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!lock) return Error::from_errno("open " + path + (errno == ELOOP ? " (a symlink)" : ""));
    struct stat held {};
    if (::fstat(lock.get(), &held) < 0) return Error::from_errno("stat " + path);
    if (!S_ISREG(held.st_mode)) return Error::explained(path + " is not a regular file: refusing to use it", EPERM);
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
      if (errno != EWOULDBLOCK) return Error::from_errno("lock " + path);
      const LockHolders holders = read_lock_holders(lock.get());
      if (!process_running(holders.daemon) && process_running(holders.keeper))
        return Error::explained("space '" + space + "' is held by tprocs whose daemon died (their keeper is pid " +
                                    std::to_string(holders.keeper) + "): they keep running; 'tproc space rm -f " + space +
                                    "' ends them",
                                EBUSY);
      return Error::explained("space '" + space + "' already has a daemon", EEXIST);
    }
    struct stat current {};
    if (::fstatat(runtime_dir, name.c_str(), &current, AT_SYMLINK_NOFOLLOW) == 0 && held.st_ino == current.st_ino &&
        held.st_dev == current.st_dev)
      return lock;
  }
}

/// Removes the logs a previous daemon of the space left: ids start at 1 again, so no record of
/// ours could ever reach them (and `logs` would show a stranger's output under a new id).
/// Opened without following links (the state dir may be another user's to plant one in).
void remove_stale_logs(const std::string& log_dir) {
  const int fd = ::open(log_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR* directory = ::fdopendir(fd);
  if (!directory) {
    ::close(fd);
    return;
  }
  while (const dirent* entry = ::readdir(directory)) {
    if (LogFiles::id_of(entry->d_name)) ::unlinkat(::dirfd(directory), entry->d_name, 0);
  }
  ::closedir(directory);
}

/// Listens on `name` in the runtime dir. bind() takes a path: /proc/self/fd/DIR/NAME names the
/// checked directory itself, whatever its path names by now.
Result<UniqueFd> listen_on(int runtime_dir, const std::string& name, const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!path_in_directory(runtime_dir, name.c_str(), address.sun_path, sizeof(address.sun_path)))
    return Error("socket path too long: " + path, ENAMETOOLONG);
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) return Error::from_errno("socket");
  ::unlinkat(runtime_dir, name.c_str(), 0);  // we hold the lock: a socket file left here belongs to a dead daemon
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
    return Error::from_errno("bind " + path);
  if (::listen(socket.get(), 128) < 0) return Error::from_errno("listen " + path);
  return socket;
}

/// The absolute path of `name` in the directory open as `dir`: what a tproc, which has neither our
/// descriptors nor our working directory, connects to.
Result<std::string> absolute_path_in(int dir, const std::string& name) {
  char link[64], path[PATH_MAX];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", dir);
  const ssize_t length = ::readlink(link, path, sizeof(path));
  if (length < 0) return Error::from_errno("readlink " + std::string(link));
  if (static_cast<size_t>(length) == sizeof(path)) return Error("the runtime dir's path is too long", ENAMETOOLONG);
  return std::string(path, static_cast<size_t>(length)) + "/" + name;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(std::string space, SpacePaths paths, DaemonOptions options) {
  // Before anything is made for it: a name the registry cannot hold must leave nothing behind.
  TPROC_TRY(validate_space_name(space));
  static_assert(kMaxSpaceNameLength < sizeof(registry::RegistryHeader::space_name));
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(space), std::move(paths)));
  daemon->options_ = options;
  // First, before anything else moves the break: every tproc shares it (runtime/brk_guard.hpp).
  daemon->brk_guard_ = TPROC_TRY(runtime::BrkGuard::place());
  daemon->runtime_dir_ = TPROC_TRY(daemon->paths_.prepare(daemon->space_));
  daemon->lock_ = TPROC_TRY(take_lock(daemon->runtime_dir_.get(), daemon->space_ + ".lock", daemon->paths_.lock(daemon->space_),
                                      daemon->space_));
  remove_stale_logs(daemon->paths_.log_dir(daemon->space_));
  // Before any thread exists: the keeper is a fork of this process (space/listener_keeper.hpp).
  daemon->keeper_.emplace(TPROC_TRY(ListenerKeeper::start(daemon->lock_.get())));
  write_lock_holders(daemon->lock_.get(), ::getpid(), daemon->keeper_->pid());
  daemon->host_auxv_ = TPROC_TRY(loader::HostAuxv::read_self());
  daemon->namespaces_ = TPROC_TRY(PeerNamespaces::open_ours());
  // The daemon holds a few fds per tproc: let it have as many as it may. Each tproc gets the
  // limit the daemon started with back (space/operations/run.cpp).
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    daemon->tproc_open_files_ = files;
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource)
    ::getrlimit64(static_cast<__rlimit_resource_t>(resource), &daemon->own_limits_[resource]);
  daemon->registry_ = TPROC_TRY(registry::RegistryRegion::create());
  daemon->heap_ = TPROC_TRY(registry::HeapRegion::reserve());
  daemon->endpoints_ = TPROC_TRY(registry::Registry::format(*daemon->registry_, daemon->space_, &*daemon->heap_));
  daemon->loop_ = TPROC_TRY(EventLoop::create());
  if (options.reclaim) {
    // What the space lives on, out of every tproc's reach (space/protected_ranges.hpp).
    ProtectedRanges protect = TPROC_TRY(ProtectedRanges::of_this_process());
    daemon->own_exe_ = TPROC_TRY(ExeIdentity::of_self());
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    protect.add(daemon->brk_guard_->address(), daemon->brk_guard_->address() + page, "the program break's guard");
    protect.add(daemon->registry_->address(), daemon->registry_->address() + daemon->registry_->size(), "the registry");
    protect.add(daemon->heap_->address(), daemon->heap_->address() + daemon->heap_->size(), "the space heap");
    daemon->mappings_ = TPROC_TRY(MappingServer::start(std::move(protect)));
    // A tproc that execs out of the space leaves it as surely as one that exits.
    Daemon* self = daemon.get();
    daemon->mappings_->on_left_space([self](pid_t pid) { self->withdraw_endpoints(pid); });
  }
  daemon->withdraw_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  daemon->publish_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  daemon->idle_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  daemon->pids_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!daemon->withdraw_timer_ || !daemon->publish_timer_ || !daemon->idle_timer_ || !daemon->pids_timer_)
    return Error::from_errno("timerfd_create");

  // A tproc keeps every SIG_IGN of the daemon (CLONE_CLEAR_SIGHAND resets only handlers), so the
  // daemon drops whatever its starter ignored (posix_spawn, nohup); each run says what its caller
  // ignores instead.
  stop_ignoring_signals();  // all 64: libc's sigaction refuses the ones it reserves (32-34)

  // Signals for the daemon arrive on a signalfd; SIGPIPE is blocked rather than ignored, because
  // an ignored signal would stay ignored in every tproc (CLONE_CLEAR_SIGHAND keeps SIG_IGN).
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaddset(&handled, signal);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  sigdelset(&handled, SIGPIPE);
  daemon->signals_ = UniqueFd(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!daemon->signals_) return Error::from_errno("signalfd");

  // Without inotify (the user's instances all taken), logs still work: their times come from the
  // samples taken when a client opens a log and when its tproc exits, and the files' mtimes.
  if (auto watched = daemon->watch_logs(); !watched) {
    std::fprintf(stderr, "tproc daemon: %s: detached programs' log times will be coarse\n", watched.error().describe().c_str());
    daemon->log_changes_.reset();
  }
  daemon->socket_path_ = daemon->paths_.socket(daemon->space_);
  daemon->listener_ = TPROC_TRY(listen_on(daemon->runtime_dir_.get(), daemon->space_ + ".sock", daemon->socket_path_));
  daemon->published_socket_path_ = TPROC_TRY(absolute_path_in(daemon->runtime_dir_.get(), daemon->space_ + ".sock"));
  return daemon;
}

Daemon::~Daemon() {
  // Every tproc is gone before the keeper is told to go (members die in reverse order, but the
  // records must die first: they kill and reap what still runs).
  // A frozen tproc cannot die (cgroup v1): thaw them all before the records kill and reap them.
  if (freezer_) freezer_->thaw_all();
  tprocs_ = TprocTable();
  mappings_.reset();  // its thread calls back into the daemon: stop it before any member goes
  keeper_.reset();
  // Remove the socket while still holding the lock, so no client finds a dead socket of ours.
  if (listener_) ::unlinkat(runtime_dir_.get(), (space_ + ".sock").c_str(), 0);
  if (lock_) ::unlinkat(runtime_dir_.get(), (space_ + ".lock").c_str(), 0);
}

void Daemon::withdraw_endpoints(pid_t pid) {
  // Its threads' heap caches: their pages become adoptable, with every free block on them.
  if (heap_) registry::SpaceHeap(heap_->get()).release_owner(pid);
  {
    // Whatever is being published for it is done once we hold this; the rest never will be.
    std::lock_guard lock(publications_mutex_);
    std::erase_if(pending_publications_, [pid](const auto& pending) { return pending.second.pid == pid; });
  }
  try_withdraw(pid);
}

void Daemon::try_withdraw(pid_t pid) {
  if (endpoints_->withdraw_owner(pid)) return;
  std::lock_guard lock(withdrawals_mutex_);
  pending_withdrawals_.push_back(pid);
  const itimerspec soon{{0, 0}, {0, 100'000'000}};  // another tproc holds the lock: try in 100 ms
  ::timerfd_settime(withdraw_timer_.get(), 0, &soon, nullptr);
}

void Daemon::retry_withdrawals() {
  uint64_t expirations;
  (void)!::read(withdraw_timer_.get(), &expirations, sizeof(expirations));
  std::vector<pid_t> pending;
  {
    std::lock_guard lock(withdrawals_mutex_);
    pending.swap(pending_withdrawals_);
  }
  for (pid_t pid : pending) try_withdraw(pid);
  loop_->watch(withdraw_timer_.get(), POLLIN, [this](int) { retry_withdrawals(); });
}

Result<void> Daemon::serve() {
  loop_->watch(withdraw_timer_.get(), POLLIN, [this](int) { retry_withdrawals(); });
  loop_->watch(publish_timer_.get(), POLLIN, [this](int) { retry_publications(); });
  loop_->watch(pids_timer_.get(), POLLIN, [this](int) { on_pids_timer(); });
  loop_->watch(listener_.get(), POLLIN, [this](int) { accept_clients(); });
  loop_->watch(idle_timer_.get(), POLLIN, [this](int) { drop_idle_clients(); });
  loop_->watch(signals_.get(), POLLIN, [this](int) { on_signal(); });
  if (log_changes_) loop_->watch(log_changes_.get(), POLLIN, [this](int) { on_logs_written(); });
  TPROC_TRY(watch_idleness());
  return loop_->run();
}

void Daemon::on_signal() {
  signalfd_siginfo info{};
  while (::read(signals_.get(), &info, sizeof(info)) == sizeof(info)) {
  }
  // Records kill and reap their tprocs when destroyed: a stopped daemon leaves nothing running.
  loop_->stop();
}

namespace {


}  // namespace

void Daemon::accept_clients() {
  for (;;) {
    UniqueFd socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!socket) break;  // EAGAIN: all accepted; other errors (EMFILE...) retry on the next event
    ucred peer{};
    socklen_t length = sizeof(peer);
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) < 0 || peer.uid != ::geteuid()) {
      protocol::Connection refused(std::move(socket));
      (void)refused.send(protocol::Failure{"permission denied: uid " + std::to_string(peer.uid) +
                                               " may not use space '" + space_ + "'", EACCES});
      continue;
    }
    if (clients_.size() >= kMaxPendingClients) {
      // The newcomer takes the place of the connection that has waited longest, which has had
      // its chance to ask: idle connections cannot lock new clients out, however many there are.
      auto oldest = std::min_element(clients_.begin(), clients_.end(), [](const auto& a, const auto& b) {
        return a.second->accepted_ns < b.second->accepted_ns;
      });
      drop_client(oldest->first, "space '" + space_ + "' is busy: too many pending clients, and this one asked nothing");
    }
    const int fd = socket.get();
    const bool first = clients_.empty();
    clients_.emplace(fd, std::make_unique<Client>(Client{protocol::Connection(std::move(socket)), monotonic_ns(), 0}));
    last_busy_ns_ = clients_.at(fd)->accepted_ns;  // any question keeps the space alive (space/daemon_idle_exit.cpp)
    if (first) arm_idle_timer();
    // A client sends its request right after connecting, usually before we get here: reading now
    // saves a trip through the ring (a wake-up, the dearest part of a launch on a small VM); an
    // empty socket is watched like any other.
    on_client_readable(fd);
  }
  loop_->watch(listener_.get(), POLLIN, [this](int) { accept_clients(); });
}

void Daemon::watch_client(int fd) {
  auto found = clients_.find(fd);
  if (found == clients_.end()) return;
  found->second->watch = loop_->watch(fd, POLLIN | POLLRDHUP, [this, fd](int) { on_client_readable(fd); });
}

void Daemon::drop_client(int fd, const std::string& why) {
  auto found = clients_.find(fd);
  if (found == clients_.end()) return;
  std::unique_ptr<Client> client = std::move(found->second);
  clients_.erase(found);
  // The watch goes first: a poll still pending would keep the socket open after we close it.
  if (client->watch != 0) loop_->cancel(client->watch);
  reply_error(std::move(client), Error::explained(why, ETIMEDOUT));
}

void Daemon::arm_idle_timer() {
  uint64_t oldest = UINT64_MAX;
  for (const auto& [fd, client] : clients_) oldest = std::min(oldest, client->accepted_ns);
  itimerspec when{};  // all zero: disarmed
  if (oldest != UINT64_MAX) {
    const uint64_t deadline = oldest + kRequestDeadlineNs;
    when.it_value = {static_cast<time_t>(deadline / 1'000'000'000), static_cast<long>(deadline % 1'000'000'000)};
  }
  ::timerfd_settime(idle_timer_.get(), TFD_TIMER_ABSTIME, &when, nullptr);
}

void Daemon::drop_idle_clients() {
  uint64_t expirations = 0;
  (void)!::read(idle_timer_.get(), &expirations, sizeof(expirations));
  const uint64_t now = monotonic_ns();
  std::vector<int> idle;
  for (const auto& [fd, client] : clients_)
    if (now - client->accepted_ns >= kRequestDeadlineNs) idle.push_back(fd);
  for (int fd : idle)
    drop_client(fd, "space '" + space_ + "': no request within " + std::to_string(kRequestDeadlineNs / 1'000'000'000) +
                        " s of connecting");
  arm_idle_timer();
  loop_->watch(idle_timer_.get(), POLLIN, [this](int) { drop_idle_clients(); });
}

void Daemon::on_client_readable(int fd) {
  auto found = clients_.find(fd);
  if (found == clients_.end()) return;
  std::unique_ptr<Client> client = std::move(found->second);
  clients_.erase(found);

  auto received = client->connection.receive();
  if (!received) {
    if (received.error().code() == EAGAIN) {  // spurious wake-up: keep waiting
      clients_.emplace(fd, std::move(client));
      watch_client(fd);
      return;
    }
    return reply_error(std::move(client), Error::explained("malformed request: " + received.error().describe(), EPROTO));
  }
  if (!*received) return;  // the client hung up before asking anything

  protocol::Received request = std::move(**received);
  std::visit(
      [&](auto&& message) {
        using Type = std::decay_t<decltype(message)>;
        if constexpr (std::is_same_v<Type, protocol::RunRequest>) {
          handle(std::move(client), std::move(message), std::move(request.fds));
        } else if constexpr (std::is_same_v<Type, protocol::ListRequest> || std::is_same_v<Type, protocol::SignalRequest> ||
                             std::is_same_v<Type, protocol::OpenRequest> || std::is_same_v<Type, protocol::InfoRequest> ||
                             std::is_same_v<Type, protocol::ShutdownRequest> ||
                             std::is_same_v<Type, protocol::EndpointsRequest> ||
                             std::is_same_v<Type, protocol::WaitRequest> || std::is_same_v<Type, protocol::RemoveRequest> ||
                             std::is_same_v<Type, protocol::StatsRequest> || std::is_same_v<Type, protocol::PauseRequest> ||
                             std::is_same_v<Type, protocol::RangesRequest> ||
                             std::is_same_v<Type, protocol::InspectRequest> ||
                             std::is_same_v<Type, protocol::RestartRequest> ||
                             std::is_same_v<Type, protocol::WhichRequest>) {
          if (!request.fds.empty())
            return reply_error(std::move(client), Error("malformed request: unexpected descriptors", EPROTO));
          handle(std::move(client), std::move(message));
        } else {
          reply_error(std::move(client),
                      Error(std::string("malformed request: ") + protocol::type_name(request.message) + " is not a request", EPROTO));
        }
      },
      std::move(request.message));
}

void Daemon::reply(std::unique_ptr<Client> client, const protocol::Message& message, std::span<const int> fds) {
  (void)client->connection.send(message, fds);  // a client that went away needs no answer
}

void Daemon::reply_error(std::unique_ptr<Client> client, const Error& error) {
  reply(std::move(client), protocol::Failure{error.describe(), error.code()});
}

}  // namespace tproc::space
