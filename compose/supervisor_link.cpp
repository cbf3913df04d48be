#include "compose/supervisor_link.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common/detached_start.hpp"
#include "space/space_socket.hpp"
#include "common/trusted_directory.hpp"

namespace tproc::compose {

Result<SupervisorLink> SupervisorLink::connect(const AppPaths& paths) {
  const std::string path = paths.socket();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // The directory is checked and the peer must be us before a command goes out (space/space_socket.hpp).
  const UniqueFd dir = TPROC_TRY(open_trusted(paths.socket_directory(), false));
  if (!path_in_directory(dir.get(), (paths.space() + ".sock").c_str(), address.sun_path, sizeof(address.sun_path)))
    return Error("socket path too long: " + path, ENAMETOOLONG);
  UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) return Error::from_errno("socket");
  while (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0) {
    if (errno == EINTR) continue;
    return Error::from_errno("connect " + path);
  }
  TPROC_TRY(space::check_peer_is_us(socket.get(), path));
  return SupervisorLink(std::move(socket));
}

Result<void> SupervisorLink::send(const Record& record) {
  const std::string line = encode_record(record) + "\n";
  for (size_t done = 0; done < line.size();) {
    const ssize_t put = ::send(socket_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return Error::from_errno("send to the supervisor");
    done += static_cast<size_t>(put);
  }
  return ok();
}

Result<bool> SupervisorLink::fill(bool block) {
  char chunk[4096];
  for (;;) {
    const ssize_t got = ::recv(socket_.get(), chunk, sizeof(chunk), block ? 0 : MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (got < 0 && errno == ECONNRESET) return false;
    if (got < 0) return Error::from_errno("receive");
    if (got == 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
    // Only the new bytes are looked at; a line that is still unfinished past the bound is refused.
    if (buffer_.find('\n', scan_from_) != std::string::npos) return true;
    scan_from_ = buffer_.size();
    if (buffer_.size() - start_ > kMaxLineBytes)
      return Error("a line of more than " + std::to_string(kMaxLineBytes >> 20) + " MiB on the supervisor's socket", EMSGSIZE);
    return true;
  }
}

std::optional<Record> SupervisorLink::next() {
  const size_t newline = buffer_.find('\n', scan_from_);
  if (newline == std::string::npos) {
    scan_from_ = buffer_.size();
    return std::nullopt;
  }
  Record record = decode_record(buffer_.substr(start_, newline - start_));
  start_ = scan_from_ = newline + 1;
  // Drop what was returned once it is most of the buffer: each byte moves a bounded number of times.
  if (start_ == buffer_.size() || start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    scan_from_ -= start_;
    start_ = 0;
  }
  return record;
}

Result<std::optional<Record>> SupervisorLink::receive() {
  for (;;) {
    if (auto record = next()) return record;
    if (!TPROC_TRY(fill(true))) return std::optional<Record>();
  }
}

Result<void> start_supervisor(const std::string& executable, const AppPaths& paths) {
  TPROC_TRY(paths.prepare());
  UniqueFd log(::open(paths.supervisor_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!log) return Error::from_errno("open " + paths.supervisor_log());
  const std::string space = paths.space();
  // Its stderr is its log.
  std::string answer =
      TPROC_TRY(start_detached(executable, {"tproc-supervise", "supervise", space, "--ready-fd", "3"}, log.get()));
  if (answer == "ok\n" || answer.find("already has a supervisor") != std::string::npos) return ok();
  if (answer.empty()) return Error::explained("the supervisor of space '" + space + "' exited before it was ready (see " + paths.supervisor_log() + ")", ECHILD);
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  return Error::explained("start the supervisor of space '" + space + "': " + answer, EIO);
}

}  // namespace tproc::compose
