#include "yaml/utf8.hpp"

#include <cstddef>

namespace tproc::yaml {

std::optional<TextPosition> first_invalid_utf8(std::string_view text) {
  TextPosition position;
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80                    ? 1
                    : byte >= 0xc2 && byte <= 0xdf ? 2
                    : byte >= 0xe0 && byte <= 0xef ? 3
                    : byte >= 0xf0 && byte <= 0xf4 ? 4
                                                   : 0;
    if (length == 0 || i + length > text.size()) return position;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      // The second byte's range depends on the first (RFC 3629's table); the rest are 80-BF.
      unsigned char low = 0x80;
      unsigned char high = 0xbf;
      if (k == 1 && byte == 0xe0) low = 0xa0;
      if (k == 1 && byte == 0xed) high = 0x9f;
      if (k == 1 && byte == 0xf0) low = 0x90;
      if (k == 1 && byte == 0xf4) high = 0x8f;
      if (next < low || next > high) return position;
    }
    if (byte == '\n') {
      ++position.line;
      position.column = 0;
    } else {
      ++position.column;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace tproc::yaml
