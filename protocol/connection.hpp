#pragma once
// Connection: one end of a SOCK_SEQPACKET Unix socket that carries protocol messages and fds.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "protocol/messages.hpp"

namespace tproc::protocol {

/// A message as received, with the descriptors that came with it.
struct Received {
  Message message;
  std::vector<UniqueFd> fds;
};

/// A connected socket speaking the protocol.
class Connection {
 public:
  explicit Connection(UniqueFd socket) : socket_(std::move(socket)) {}

  /// Connects to the daemon socket at `path`. ENOENT/ECONNREFUSED mean no daemon listens there.
  static Result<Connection> connect(const std::string& path);

  /// Sends `message` with `fds` attached. Never raises SIGPIPE.
  Result<void> send(const Message& message, std::span<const int> fds = {});

  /// Receives one message; nullopt when the peer closed the connection. On a non-blocking socket
  /// with nothing to read, fails with EAGAIN.
  Result<std::optional<Received>> receive();

  int fd() const { return socket_.get(); }

 private:
  UniqueFd socket_;
};

}  // namespace tproc::protocol
