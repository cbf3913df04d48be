#pragma once
// What a space may be called: 1-64 of [A-Za-z0-9_.-], starting with a letter or digit (it names
// the daemon's socket and state directory). Needs nothing but libc: the front door (cli/front/)
// checks names too, and is built without the C++ standard library.

#include <stddef.h>

namespace tproc::space {

/// Whether the `length` bytes at `name` make a valid space name.
inline bool is_valid_space_name(const char* name, size_t length) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (length == 0 || length > 64 || !alnum(name[0])) return false;
  for (size_t i = 0; i < length; ++i)
    if (!alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-') return false;
  return true;
}

}  // namespace tproc::space
