#pragma once
// The line protocol between `tproc up`/`tproc down` and an app's supervisor, over a Unix stream
// socket (AppPaths::socket()). One command per connection, then the supervisor's lines:
//
//   client → supervisor   up            make the app what app.spec says; answer `settled`
//                         up follow     the same, then stay: `tproc` lines and `finished`
//                         down          stop every service in reverse dependency order, then exit
//   supervisor → client   say TEXT      a progress line for humans ("server: started (tproc 3)")
//                         tproc SERVICE ID NAME   a tproc started (followers open its log)
//                         settled N     every service started or given up on; N: 0, or 1 if one could not start
//                         finished N    nothing runs or will restart; N: 0, or 1 if a service failed
//                         down N        everything stopped; the supervisor exits next
//
// Lines are record-encoded (compose/record_file.hpp): tab-separated, escaped fields, at most
// kMaxLineBytes each: a peer that sends a longer one is refused (EMSGSIZE) instead of growing the
// buffer without end, and every byte received is scanned for its newline once.

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "compose/app_paths.hpp"
#include "compose/record_file.hpp"

namespace tproc::compose {

/// A connection to an app's supervisor (either end).
class SupervisorLink {
 public:
  explicit SupervisorLink(UniqueFd socket) : socket_(std::move(socket)) {}

  /// Connects to the supervisor of `paths`' space; ENOENT or ECONNREFUSED when none runs.
  static Result<SupervisorLink> connect(const AppPaths& paths);

  /// Sends one record as a line. Never raises SIGPIPE.
  Result<void> send(const Record& record);
  /// Reads what the socket has (blocking if nothing is buffered and `block`); false at end of
  /// stream; EMSGSIZE once an unfinished line is longer than kMaxLineBytes.
  Result<bool> fill(bool block);
  /// The next complete line received, if any.
  std::optional<Record> next();
  /// Blocks for the next line; nullopt at end of stream.
  Result<std::optional<Record>> receive();

  int fd() const { return socket_.get(); }

 private:
  UniqueFd socket_;
  std::string buffer_;
  size_t start_ = 0;      ///< the first byte of buffer_ not yet returned by next()
  size_t scan_from_ = 0;  ///< bytes before this (from start_) hold no newline
};

/// The longest line either end accepts (a `say` line with a long error fits many times over).
inline constexpr size_t kMaxLineBytes = 1 << 20;

/// Starts `executable supervise SPACE` as a daemon (own session, reparented to init, stdio on
/// /dev/null, diagnostics to the app's supervisor log) and waits until it listens. A supervisor
/// that is already running for the space is not an error.
Result<void> start_supervisor(const std::string& executable, const AppPaths& paths);

}  // namespace tproc::compose
