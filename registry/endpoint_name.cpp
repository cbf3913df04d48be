#include "registry/endpoint_name.hpp"

#include <cerrno>
#include <cstring>

namespace tproc::registry {
namespace {

/// A 64-bit finaliser (MurmurHash3's fmix64): every input bit reaches every output bit, so the
/// low bits that pick a slot are as good as the high ones.
uint64_t mix(uint64_t value) {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdULL;
  value ^= value >> 33;
  value *= 0xc4ceb9fe1a85ec53ULL;
  value ^= value >> 33;
  return value;
}

}  // namespace

int EndpointName::make(const char* name, EndpointName* out) {
  if (name == nullptr) return -EINVAL;
  const size_t length = ::strnlen(name, kNameBytes);
  if (length == 0) return -EINVAL;
  if (length > kMaxNameLength) return -ENAMETOOLONG;
  std::memset(out->words, 0, sizeof(out->words));
  std::memcpy(out->words, name, length);
  out->length = static_cast<uint32_t>(length);
  uint64_t hash = length * 0x9e3779b97f4a7c15ULL;
  for (uint32_t i = 0; i < out->word_count(); ++i) hash = (hash ^ out->words[i]) * 0x9e3779b97f4a7c15ULL + i;
  out->hash = mix(hash);
  return 0;
}

bool is_displayable(const EndpointName& name) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(name.words);
  for (uint32_t i = 0; i < name.length; ++i)
    if (bytes[i] < 0x20 || bytes[i] == 0x7f) return false;
  return true;
}

}  // namespace tproc::registry
