#pragma once
// EndpointName: an endpoint's name as the table stores it — NUL-padded 64-bit words and a hash —
// so that finding an entry compares at most eight words instead of bytes.

#include <cstdint>

#include "registry/registry_layout.hpp"

namespace tproc::registry {

/// A validated endpoint name (1 to kMaxNameLength bytes, no NUL).
struct EndpointName {
  uint64_t words[kNameBytes / 8];  ///< the bytes, NUL-padded
  uint32_t length;                 ///< bytes, without the NUL
  uint64_t hash;

  /// Packs `name`: 0, -EINVAL (null or empty) or -ENAMETOOLONG (more than 63 bytes).
  static int make(const char* name, EndpointName* out);

  /// Words that hold the name's bytes.
  uint32_t word_count() const { return (length + 7) / 8; }
};

/// Whether `name` is fit to publish: printable for `tproc registry ls` (no control characters).
bool is_displayable(const EndpointName& name);

/// The kind tag of a type name: 64-bit FNV-1a, the same as tproc_kind() and tproc::kind().
inline constexpr uint64_t kind_of(const char* type_name) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (; *type_name != '\0'; ++type_name) {
    hash ^= static_cast<unsigned char>(*type_name);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace tproc::registry
