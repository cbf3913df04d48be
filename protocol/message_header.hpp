#pragma once
// The header every message starts with (protocol/messages.hpp), and the types of the messages the
// front door (cli/front/) reads and writes. Kept free of the C++ standard library: the front door
// is built without it, and both encodings must agree on these numbers.

#include <stddef.h>
#include <stdint.h>

namespace tproc::protocol {

inline constexpr uint32_t kMagic = 0x43525054;  // "TPRC"
inline constexpr uint16_t kVersion = 6;        // bump on every change of a message's fields

/// A message's type on the wire: its index in protocol::Message (messages.cpp checks these).
enum MessageType : uint16_t {
  kRunRequestType = 0,
  kStartedType = 7,
  kExitedType = 8,
  kFailureType = 9,
};

/// The largest encoded message; a SOCK_SEQPACKET datagram must fit the socket buffer.
inline constexpr size_t kMaxMessageSize = 192 * 1024;

}  // namespace tproc::protocol
