#include "cutting_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace tproc::e2e {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t wrote = ::send(fd, data, size, MSG_NOSIGNAL);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    data += wrote;
    size -= static_cast<size_t>(wrote);
  }
  return true;
}

}  // namespace

CuttingProxy::CuttingProxy(int upstream_port, uint64_t cut_after, int cuts)
    : upstream_port_(upstream_port), cut_after_(cut_after), cuts_left_(cuts) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_.get(), 64) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("the cutting proxy cannot listen");
  port_ = ntohs(address.sin_port);
  stop_.reset(::eventfd(0, EFD_CLOEXEC));
  if (!stop_) throw std::runtime_error("eventfd");
  acceptor_ = std::thread([this] { accept_loop(); });
}

CuttingProxy::~CuttingProxy() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  acceptor_.join();
  std::lock_guard<std::mutex> hold(relays_lock_);
  for (std::thread& relay : relays_) relay.join();
}

bool CuttingProxy::take_cut() {
  int left = cuts_left_.load();
  if (left < 0) return true;
  while (left > 0)
    if (cuts_left_.compare_exchange_weak(left, left - 1)) return true;
  return false;
}

void CuttingProxy::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) continue;
    std::lock_guard<std::mutex> hold(relays_lock_);
    relays_.emplace_back([this, fd = client.release()] { relay(UniqueFd(fd)); });
  }
}

void CuttingProxy::relay(UniqueFd client) {
  UniqueFd upstream(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback(upstream_port_);
  if (!upstream || ::connect(upstream.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
  uint64_t carried = 0;
  bool cut_here = false;  // decided once, when the connection reaches cut_after
  bool client_open = true, upstream_open = true;
  char buffer[16384];
  while (client_open || upstream_open) {
    pollfd fds[3] = {{client_open ? client.get() : -1, POLLIN, 0},
                     {upstream_open ? upstream.get() : -1, POLLIN, 0},
                     {stop_.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[2].revents != 0) return;
    for (int side = 0; side < 2; ++side) {
      if (fds[side].revents == 0) continue;
      const int from = side == 0 ? client.get() : upstream.get();
      const int to = side == 0 ? upstream.get() : client.get();
      size_t want = sizeof buffer;
      if (carried < cut_after_ && cut_after_ - carried < want) want = static_cast<size_t>(cut_after_ - carried);
      ssize_t got = ::recv(from, buffer, want, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        // One side is done: pass the end of its stream on, keep relaying the other way.
        ::shutdown(to, SHUT_WR);
        (side == 0 ? client_open : upstream_open) = false;
        continue;
      }
      if (!write_all(to, buffer, static_cast<size_t>(got))) return;
      const uint64_t before = carried;
      carried += static_cast<uint64_t>(got);
      if (before < cut_after_ && carried >= cut_after_) cut_here = take_cut();
      if (cut_here) {
        // A reset, not an orderly close: the client sees "connection reset by peer" mid-stream.
        struct linger abort_now {1, 0};
        ::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
        cuts_made_.fetch_add(1);
        return;
      }
    }
  }
}

}  // namespace tproc::e2e
