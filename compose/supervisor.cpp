#include "compose/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <vector>

#include "compose/supervisor_loop.hpp"

namespace tproc::compose {

int pidfd_signal(int pidfd, int signal) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0)); }

std::string describe_duration(milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", static_cast<double>(ms) / 1000);
  return text;
}

std::string describe_exit(int status) {
  if (status > 128 && status < 128 + 32) return "killed by SIG" + signal_name(status - 128);
  return "exited with status " + std::to_string(status);
}

std::string directory_of(const std::string& file) {
  const size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

Result<void> SupervisorLoop::open() {
  TPROC_TRY(app_.prepare());
  lock_.reset(::open(app_.lock().c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock_) return Error::from_errno("open " + app_.lock());
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return Error::explained("space '" + app_.space() + "' already has a supervisor", EEXIST);
    return Error::from_errno("lock " + app_.lock());
  }
  // We hold the lock: a socket file left behind belongs to a supervisor that died.
  const std::string path = app_.socket();
  ::unlink(path.c_str());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return Error("socket path too long: " + path, ENAMETOOLONG);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener_) return Error::from_errno("socket");
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0)
    return Error::from_errno("bind " + path);
  if (::listen(listener_.get(), 16) < 0) return Error::from_errno("listen " + path);

  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_) return Error::from_errno("signalfd");
  return ok();
}

Result<void> SupervisorLoop::serve() {
  for (;;) {
    step();
    if (dirty_) save_state();
    if (down_ && !anything_alive()) break;

    std::vector<pollfd> watched{{listener_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
    std::vector<std::function<void()>> handlers{
        [&] {
          for (;;) {
            UniqueFd accepted(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!accepted) break;
            ucred peer{};
            socklen_t size = sizeof(peer);
            if (::getsockopt(accepted.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) < 0 || peer.uid != ::getuid()) continue;
            clients_.push_back(std::make_unique<Client>(Client{SupervisorLink(std::move(accepted))}));
          }
        },
        [&] {
          signalfd_siginfo info{};
          while (::read(signals_.get(), &info, sizeof(info)) == sizeof(info))
            if (info.ssi_signo != SIGHUP) begin_down();
        }};
    for (auto& client : clients_) {
      watched.push_back({client->link.fd(), POLLIN, 0});
      Client* raw = client.get();
      handlers.push_back([this, raw] { on_client(*raw); });
    }
    auto watch_unit = [&](Unit& unit) {
      for (Replica& replica : unit.replicas)
        if (replica.running) {
          watched.push_back({replica.pidfd.get(), POLLIN, 0});
          handlers.push_back([this, &unit, &replica] { on_replica_exit(unit, replica); });
        }
      if (unit.waiter) {
        watched.push_back({unit.waiter->connection->fd(), POLLIN, 0});
        handlers.push_back([this, &unit] {
          if (unit.waiter) on_waiter(unit);
        });
      }
    };
    for (auto& unit : units_) watch_unit(*unit);
    for (auto& unit : retired_) watch_unit(*unit);

    int timeout = -1;
    if (auto deadline = next_deadline()) {
      const auto left = std::chrono::duration_cast<milliseconds>(*deadline - Clock::now()).count();
      timeout = static_cast<int>(std::clamp<long long>(left + 1, 0, 3600000));
    }
    if (::poll(watched.data(), watched.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll");
    }
    for (size_t i = 0; i < watched.size(); ++i)
      if (watched[i].revents) handlers[i]();
  }

  // Down: every service has stopped. Tell whoever asked, forget the app, and go.
  say(spec_.name + ": down");
  ::unlink(app_.state().c_str());
  ::unlink(app_.spec().c_str());
  ::unlink(app_.socket().c_str());
  for (auto& client : clients_)
    if (!client->closed && client->awaiting_down) (void)client->link.send({"down", any_failed() ? "1" : "0"});
  return ok();
}

Supervisor::Supervisor(std::unique_ptr<SupervisorLoop> loop) : loop_(std::move(loop)) {}
Supervisor::~Supervisor() = default;

Result<std::unique_ptr<Supervisor>> Supervisor::create(const space::SpacePaths& paths, const std::string& space,
                                                       const std::string& ready_wait_program) {
  auto loop = std::make_unique<SupervisorLoop>(paths, AppPaths(paths.runtime_dir(), paths.home(), space), ready_wait_program);
  TPROC_TRY(loop->open());
  return std::unique_ptr<Supervisor>(new Supervisor(std::move(loop)));
}

Result<void> Supervisor::serve() { return loop_->serve(); }

}  // namespace tproc::compose
