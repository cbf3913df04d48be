#include "protocol/connection.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

namespace tproc::protocol {
namespace {

constexpr size_t kMaxFds = kMaxMessageFds;  // a RunRequest passes the caller's inherited fds

}  // namespace

Result<Connection> Connection::connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return Error("socket path too long: " + path, ENAMETOOLONG);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!socket) return Error::from_errno("socket");
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
    return Error::from_errno("connect " + path);
  return Connection(std::move(socket));
}

Result<void> Connection::send(const Message& message, std::span<const int> fds) {
  std::vector<std::byte> bytes = encode(message);
  // E2BIG, as execve says of an argument list too long: for a run request, argv and the
  // environment are nearly all of it.
  if (bytes.size() > kMaxMessageSize)
    return Error::explained(std::string(type_name(message)) + " of " + std::to_string(bytes.size()) +
                                " bytes is larger than the " + std::to_string(kMaxMessageSize) +
                                " bytes one message to the space daemon may carry (arguments and environment too large)",
                            E2BIG);
  if (fds.size() > kMaxFds) return Error("too many descriptors for one message", EINVAL);

  iovec io{bytes.data(), bytes.size()};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)]{};
  if (!fds.empty()) {
    header.msg_control = control;
    header.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t sent;
  do sent = ::sendmsg(socket_.get(), &header, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return Error::from_errno(std::string("send ") + type_name(message));
  return ok();
}

Result<std::optional<Received>> Connection::receive() {
  // Peek at the datagram's real size first: most messages are small, and a buffer of the maximum
  // size would cost an allocation and page faults on every request.
  char probe;
  ssize_t size;
  do size = ::recv(socket_.get(), &probe, 1, MSG_PEEK | MSG_TRUNC);
  while (size < 0 && errno == EINTR);
  if (size < 0) return Error::from_errno("receive");
  std::vector<std::byte> buffer(std::clamp<size_t>(static_cast<size_t>(size), 1, kMaxMessageSize + 1));
  iovec io{buffer.data(), buffer.size()};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)]{};
  header.msg_control = control;
  header.msg_controllen = sizeof(control);

  ssize_t got;
  do got = ::recvmsg(socket_.get(), &header, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0) return Error::from_errno("receive");

  // Take ownership of every descriptor first, so an early return below cannot leak one.
  Received received;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      received.fds.emplace_back(fd);
    }
  }
  if (got == 0 && received.fds.empty()) return std::optional<Received>{};
  if ((header.msg_flags & MSG_TRUNC) || static_cast<size_t>(got) > kMaxMessageSize) return Error("message larger than " + std::to_string(kMaxMessageSize) + " bytes", EMSGSIZE);
  if (header.msg_flags & MSG_CTRUNC) return Error("more than " + std::to_string(kMaxFds) + " descriptors in one message", EMSGSIZE);
  received.message = TPROC_TRY(decode({buffer.data(), static_cast<size_t>(got)}));
  return std::optional<Received>(std::move(received));
}

}  // namespace tproc::protocol
