#pragma once
// What a space may be called: 1-63 of [A-Za-z0-9_.-], starting with a letter or digit. The one
// rule, checked at every boundary a name enters by (the front door, the full CLI, `tproc daemon`,
// a compose file's name/space) before anything is created for it. 63, not 64: the registry
// keeps the name NUL-terminated in 64 bytes (registry/registry_layout.hpp), and a name it
// could not hold must never get as far as a state dir. Needs nothing but libc: the front door
// (cli/front/) checks names too, and is built without the C++ standard library.

#include <stddef.h>

namespace tproc::space {

/// The longest space name, in bytes.
inline constexpr size_t kMaxSpaceNameLength = 63;

/// The rule in words, for errors.
inline constexpr const char kSpaceNameRule[] = "1-63 letters, digits, '_', '.', '-', starting with a letter or digit";

/// Whether the `length` bytes at `name` make a valid space name.
inline bool is_valid_space_name(const char* name, size_t length) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (length == 0 || length > kMaxSpaceNameLength || !alnum(name[0])) return false;
  for (size_t i = 0; i < length; ++i)
    if (!alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-') return false;
  return true;
}

}  // namespace tproc::space
