#pragma once
// Numbers as error messages show them: addresses, offsets and sizes in hex.

#include <cstdint>
#include <cstdio>
#include <string>

namespace tproc {

/// "0x1f40".
inline std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace tproc
