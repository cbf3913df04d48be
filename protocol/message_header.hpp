#pragma once
// The header every message starts with (protocol/messages.hpp), and the types of the messages the
// front door (cli/front/) reads and writes. Kept free of the C++ standard library: the front door
// is built without it, and both encodings must agree on these numbers.

#include <stddef.h>
#include <stdint.h>

namespace tproc::protocol {

inline constexpr uint32_t kMagic = 0x43525054;  // "TPRC"
inline constexpr uint16_t kVersion = 19;       // bump on every change of a message's fields

/// A message's type on the wire: its index in protocol::Message (messages.cpp checks these).
enum MessageType : uint16_t {
  kRunRequestType = 0,
  kStartedType = 7,
  kExitedType = 8,
  kFailureType = 9,
};

/// The most descriptors one message may carry (the kernel's SCM_MAX_FD).
inline constexpr size_t kMaxMessageFds = 253;
/// The descriptors a RunRequest carries besides the inherited ones, at most: program, stdio, lock,
/// executable.
inline constexpr size_t kMaxRunRequestOwnFds = 6;
/// How many of the caller's inherited descriptors one RunRequest can pass.
inline constexpr size_t kMaxInheritedFds = kMaxMessageFds - kMaxRunRequestOwnFds;

/// The largest encoded message; a SOCK_SEQPACKET datagram must fit the socket buffer.
inline constexpr size_t kMaxMessageSize = 192 * 1024;

}  // namespace tproc::protocol
