// Fuzz target for protocol::decode, the first thing the daemon runs on a client's bytes: any bytes
// either fail with an error or decode to a message that survives a round trip.
//
// The wire format (protocol/wire.hpp) is canonical: fixed-width integers, bools only 0 or 1,
// counted strings and lists, no trailing bytes. So a message that decodes must re-encode to
// exactly the bytes it came from, and decoding that encoding must give the same bytes again.
// Anything else means decode accepted something encode cannot say, or the two disagree.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/messages.hpp"

namespace {

/// Traps (a crash libFuzzer records) unless `property` holds.
void require(bool property) {
  if (!property) __builtin_trap();
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace protocol = tproc::protocol;
  const auto bytes = std::as_bytes(std::span(data, size));
  auto message = protocol::decode(bytes);
  if (!message) {
    require(!message.error().describe().empty());
    return 0;
  }
  require(protocol::type_name(*message) != nullptr);

  const std::vector<std::byte> encoded = protocol::encode(*message);
  auto again = protocol::decode(encoded);
  require(again.has_value());
  require(again->index() == message->index());
  const std::vector<std::byte> reencoded = protocol::encode(*again);
  require(same_bytes(reencoded, encoded));
  require(same_bytes(encoded, bytes));
  return 0;
}
