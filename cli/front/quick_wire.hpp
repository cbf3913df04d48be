#pragma once
// The front door's encoding of the one request it sends (RunRequest) and the replies it reads
// (Started, Exited, Failure), and how they cross the socket with their descriptors; libtproc's
// tproc_spawn() speaks the same through it. The front door is built without the C++ standard
// library (cli/front/front_door.cpp says why), so protocol/wire.hpp, which is made of std::vector and
// std::string, is out of its reach: this writes the same bytes with libc alone.
// tests/cli/quick_wire_test.cpp holds the two encodings to each other.

#include <stddef.h>
#include <stdint.h>

#include "common/unique_fd.hpp"

namespace tproc::front {

/// A growing byte buffer; after a failed allocation it stays empty and `failed()` is true.
class ByteWriter {
 public:
  ByteWriter() = default;
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;
  ~ByteWriter();

  void u8(uint8_t value) { raw(&value, sizeof(value)); }
  void u16(uint16_t value) { raw(&value, sizeof(value)); }
  void u32(uint32_t value) { raw(&value, sizeof(value)); }
  void u64(uint64_t value) { raw(&value, sizeof(value)); }
  /// A string: its length as u32, then its bytes (no terminator).
  void string(const char* text);
  /// A list of strings: the count as u32, then each string.
  void strings(const char* const* texts, size_t count);

  [[nodiscard]] const unsigned char* data() const { return data_; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  void raw(const void* bytes, size_t count);

  unsigned char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool failed_ = false;
};

/// One of the caller's resource limits (protocol::CallerLimit).
struct QuickLimit {
  int32_t resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

/// What the front door asks for: a RunRequest with no bundle, limits or endpoints.
struct QuickRequest {
  const char* const* argv = nullptr;  ///< the program's argv
  size_t argc = 0;
  const char* const* env = nullptr;   ///< KEY=VALUE, the whole environment
  size_t env_count = 0;
  const char* execfn = "";
  const char* cwd = "";
  const char* name = "";              ///< empty: the daemon names it after execfn
  bool detach = false;
  uint64_t ignored_signals = 0;       ///< bit N-1: signal N is ignored here
  const int* inherited_fds = nullptr; ///< fds beyond stdio an exec would keep, ascending
  size_t inherited_count = 0;
  uint32_t umask = 022;               ///< the caller's attributes (protocol::CallerAttributes)
  int32_t nice = 0;
  uint64_t blocked_signals = 0;
  const QuickLimit* limits = nullptr;
  size_t limit_count = 0;
};

/// Appends `request` as one whole message, header included.
void write_run_request(const QuickRequest& request, ByteWriter& out);

/// Sends `bytes` on `socket` with `fds` (at most protocol::kMaxMessageFds) in one sendmsg, retried on
/// EINTR: 0, -EPROTO for a short send, or -errno.
int send_with_fds(int socket, const ByteWriter& bytes, const int* fds, size_t fd_count);

/// A reply, as far as the front door cares.
struct QuickReply {
  enum Kind { kStarted, kExited, kFailure, kOther } kind = kOther;
  uint64_t id = 0;           ///< Started
  int32_t pid = 0;           ///< Started
  uint64_t launch_ns = 0;    ///< Started: the daemon's part of the launch
  bool killed = false;       ///< Exited: by signal `value`, else exit status `value`
  int32_t value = 0;
  bool core_dumped = false;  ///< Exited
  const char* message = "";  ///< Failure: points into the bytes read, not terminated
  uint32_t message_size = 0;
  int32_t code = 0;          ///< Failure: the errno behind it
};

/// Reads one reply message; false if it is malformed or of another protocol version.
[[nodiscard]] bool read_reply(const unsigned char* bytes, size_t size, QuickReply& reply);

/// Room for any reply the front door reads.
inline constexpr size_t kReplyBuffer = 16 * 1024;

/// Receives one reply into `buffer` (kReplyBuffer bytes) and keeps its first descriptor in `fd`,
/// closing any others: 0, -ECONNRESET when the daemon closed the connection, -EPROTO for a
/// malformed reply, or -errno.
int receive_reply(int socket, unsigned char* buffer, QuickReply& reply, UniqueFd& fd);

}  // namespace tproc::front
