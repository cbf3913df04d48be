#pragma once
// Bounds-checked reads of fixed-size records (ELF headers, symbols) out of a file's bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace tproc::loader {

/// A copy of the T at `offset`, if it lies wholly inside `bytes`.
template <class T>
std::optional<T> read_at(std::span<const std::byte> bytes, uint64_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace tproc::loader
