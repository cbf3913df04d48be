#include "cli/front/quick_wire.hpp"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "protocol/message_header.hpp"

namespace tproc::front {
namespace {

/// Reads fields in order; after the first short read every read fails.
class ByteReader {
 public:
  ByteReader(const unsigned char* bytes, size_t size) : bytes_(bytes), size_(size) {}

  template <class T>
  T number() {
    T value{};
    if (!ok_ || sizeof(T) > size_ - offset_) {
      ok_ = false;
      return value;
    }
    memcpy(&value, bytes_ + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  bool boolean() {
    const uint8_t raw = number<uint8_t>();
    if (raw > 1) ok_ = false;
    return raw == 1;
  }
  const char* string(uint32_t& size) {
    size = number<uint32_t>();
    if (!ok_ || size > size_ - offset_) {
      ok_ = false;
      size = 0;
      return "";
    }
    const char* text = reinterpret_cast<const char*>(bytes_ + offset_);
    offset_ += size;
    return text;
  }
  /// Whether every read so far succeeded.
  [[nodiscard]] bool ok() const { return ok_; }
  /// Whether every read succeeded and consumed the message exactly.
  [[nodiscard]] bool complete() const { return ok_ && offset_ == size_; }

 private:
  const unsigned char* bytes_;
  size_t size_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace

ByteWriter::~ByteWriter() { free(data_); }

void ByteWriter::raw(const void* bytes, size_t count) {
  if (failed_) return;
  if (count > capacity_ - size_) {
    size_t capacity = capacity_ ? capacity_ : 4096;
    while (count > capacity - size_) capacity *= 2;
    auto* grown = static_cast<unsigned char*>(realloc(data_, capacity));
    if (!grown) {
      free(data_);
      data_ = nullptr;
      size_ = capacity_ = 0;
      failed_ = true;
      return;
    }
    data_ = grown;
    capacity_ = capacity;
  }
  memcpy(data_ + size_, bytes, count);
  size_ += count;
}

void ByteWriter::string(const char* text) {
  const size_t length = strlen(text);
  u32(static_cast<uint32_t>(length));
  raw(text, length);
}

void ByteWriter::strings(const char* const* texts, size_t count) {
  u32(static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) string(texts[i]);
}

void write_run_request(const QuickRequest& request, ByteWriter& out) {
  out.u32(protocol::kMagic);
  out.u16(protocol::kVersion);
  out.u16(protocol::kRunRequestType);
  // RunRequest's fields, in the order of its fields() (protocol/messages.hpp).
  out.strings(request.argv, request.argc);
  out.strings(request.env, request.env_count);
  out.string(request.execfn);
  out.string(request.cwd);
  out.string(request.name);
  out.u8(request.detach);
  out.u64(request.ignored_signals);
  out.u32(0);  // limits
  out.u8(0);   // core_dumps
  out.u32(0);  // bundle
  out.u8(0);   // holds_lock
  out.u8(0);   // passes_executable
  out.u32(0);  // endpoints
  out.u32(static_cast<uint32_t>(request.inherited_count));
  for (size_t i = 0; i < request.inherited_count; ++i) out.u32(static_cast<uint32_t>(request.inherited_fds[i]));
  // caller: given, umask, nice, blocked_signals, limits
  out.u8(1);
  out.u32(request.umask);
  out.u32(static_cast<uint32_t>(request.nice));
  out.u64(request.blocked_signals);
  out.u32(static_cast<uint32_t>(request.limit_count));
  for (size_t i = 0; i < request.limit_count; ++i) {
    out.u32(static_cast<uint32_t>(request.limits[i].resource));
    out.u64(request.limits[i].soft);
    out.u64(request.limits[i].hard);
  }
  out.u32(static_cast<uint32_t>(-1));  // controlling_terminal: the front door hands terminals to the full CLI
  out.u8(0);  // supervised: only compose's supervisor sets it
  out.u8(0);   // auto_remove: `run --rm` goes to the full CLI
  out.u32(0);  // labels: `run --label` goes to the full CLI
  out.u32(0);  // default_name: the front door runs no bundles
  out.u32(0);  // rootfs: isolation options go to the full CLI
  out.u32(0);  // hostname
  out.u32(0);  // network
  out.u8(0);   // private_pids
  out.u32(0);  // command: argv joined
  out.u32(0);  // bundle_name
  out.u32(0);  // app_argv: the front door runs no bundles
  // user: given, uid, gid, groups, bounding, effective, permitted, inheritable, ambient,
  // no_new_privs; `run -u` goes to the full CLI
  out.u8(0);
  out.u32(0);
  out.u32(0);
  out.u32(0);
  for (int set = 0; set < 5; ++set) out.u64(0);
  out.u8(1);
  // container: given, mounts, ipc (tproc-oci's)
  out.u8(0);
  out.u32(0);
  out.u32(0);
  out.u32(0);  // seccomp_filter: only tproc-oci's containers have one
  out.u32(0);  // seccomp_flags
  out.u32(0);  // cgroups
}

bool read_reply(const unsigned char* bytes, size_t size, QuickReply& reply) {
  ByteReader reader(bytes, size);
  const auto magic = reader.number<uint32_t>();
  const auto version = reader.number<uint16_t>();
  const auto type = reader.number<uint16_t>();
  if (!reader.ok() || magic != protocol::kMagic || version != protocol::kVersion) return false;
  reply = QuickReply{};
  switch (type) {
    case protocol::kStartedType:
      reply.kind = QuickReply::kStarted;
      reply.id = reader.number<uint64_t>();
      reply.pid = reader.number<int32_t>();
      reply.launch_ns = reader.number<uint64_t>();
      break;
    case protocol::kExitedType:
      reply.kind = QuickReply::kExited;
      reply.killed = reader.boolean();
      reply.value = reader.number<int32_t>();
      reply.core_dumped = reader.boolean();
      break;
    case protocol::kFailureType:
      reply.kind = QuickReply::kFailure;
      reply.message = reader.string(reply.message_size);
      reply.code = reader.number<int32_t>();
      break;
    default:
      return true;  // kOther: well-formed enough to know it is not for us
  }
  return reader.complete();
}

int send_with_fds(int socket, const ByteWriter& bytes, const int* fds, size_t fd_count) {
  iovec io{const_cast<unsigned char*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * protocol::kMaxMessageFds)]{};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
  memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fd_count);
  ssize_t sent;
  do sent = ::sendmsg(socket, &header, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return -errno;
  return sent == static_cast<ssize_t>(bytes.size()) ? 0 : -EPROTO;
}

int receive_reply(int socket, unsigned char* buffer, QuickReply& reply, UniqueFd& fd) {
  iovec io{buffer, kReplyBuffer};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)]{};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  ssize_t got;
  do got = ::recvmsg(socket, &header, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0) return errno == ECONNRESET ? -ECONNRESET : -errno;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      memcpy(&received, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (!fd) fd.reset(received);
      else ::close(received);
    }
  }
  if (got == 0) return -ECONNRESET;
  if ((header.msg_flags & MSG_TRUNC) || !read_reply(buffer, static_cast<size_t>(got), reply)) return -EPROTO;
  return 0;
}

}  // namespace tproc::front
