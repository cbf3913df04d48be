#include "protocol/messages.hpp"

#include <array>

#include "protocol/wire.hpp"

namespace tproc::protocol {
namespace {

constexpr std::array<const char*, std::variant_size_v<Message>> kTypeNames = {
    "RunRequest", "ListRequest", "SignalRequest", "OpenRequest", "InfoRequest", "ShutdownRequest",
    "EndpointsRequest", "Started", "Exited", "Failure", "TprocList", "Opened", "SpaceInfo", "EndpointList", "Done",
    "WaitRequest", "RemoveRequest",
    "StatsRequest", "SpaceStats", "PauseRequest",
    "RangesRequest", "OwnedRanges", "InspectRequest", "TprocDetail", "WhichRequest", "AddressHolder",
    "RestartRequest", "Restarted"};

/// Builds the alternative with index `type` of Message and reads its fields.
template <size_t Index = 0>
Result<Message> decode_alternative(uint16_t type, WireReader& reader) {
  if constexpr (Index == std::variant_size_v<Message>) {
    return Error("unknown message type " + std::to_string(type), EPROTO);
  } else {
    if (type != Index) return decode_alternative<Index + 1>(type, reader);
    std::variant_alternative_t<Index, Message> value;
    value.fields(reader);
    if (!reader.ok()) return Error(std::string(kTypeNames[Index]) + ": " + reader.error(), EPROTO);
    if (!reader.at_end())
      return Error(std::string(kTypeNames[Index]) + ": trailing bytes at offset " + std::to_string(reader.offset()), EPROTO);
    return Message(std::move(value));
  }
}

static_assert(std::is_same_v<std::variant_alternative_t<kRunRequestType, Message>, RunRequest> &&
              std::is_same_v<std::variant_alternative_t<kStartedType, Message>, Started> &&
              std::is_same_v<std::variant_alternative_t<kExitedType, Message>, Exited> &&
              std::is_same_v<std::variant_alternative_t<kFailureType, Message>, Failure>,
              "protocol/message_header.hpp numbers the front door's messages as Message orders them");

}  // namespace

std::vector<std::byte> encode(const Message& message) {
  WireWriter writer;
  writer(kMagic, kVersion, static_cast<uint16_t>(message.index()));
  std::visit([&](const auto& value) { const_cast<std::decay_t<decltype(value)>&>(value).fields(writer); }, message);
  return std::move(writer.bytes());
}

Result<Message> decode(std::span<const std::byte> bytes) {
  WireReader reader(bytes);
  uint32_t magic = 0;
  uint16_t version = 0, type = 0;
  reader(magic, version, type);
  if (!reader.ok()) return Error("message too short for a header (" + std::to_string(bytes.size()) + " bytes)", EPROTO);
  if (magic != kMagic) return Error("not a tproc message (bad magic)", EPROTO);
  if (version != kVersion)
    return Error("protocol version " + std::to_string(version) + " (expected " + std::to_string(kVersion) + ")", EPROTO);
  return decode_alternative(type, reader);
}

const char* type_name(const Message& message) { return kTypeNames[message.index()]; }

}  // namespace tproc::protocol
