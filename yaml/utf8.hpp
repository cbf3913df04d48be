#pragma once
// Where text stops being well-formed UTF-8. yaml-cpp passes bytes that are not UTF-8 through, so
// the manifests check the file and every key and value whose escapes (\N, \_, \xNN) decode to bytes.

#include <optional>
#include <string_view>

namespace tproc::yaml {

/// A 0-based line and column, the column counted in characters (as yaml-cpp's marks count).
struct TextPosition {
  int line = 0;
  int column = 0;
  bool operator==(const TextPosition&) const = default;
};

/// The position of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms,
/// surrogates or code points past U+10FFFF, no sequence cut short by the end), or nothing.
std::optional<TextPosition> first_invalid_utf8(std::string_view text);

}  // namespace tproc::yaml
