#pragma once
// What a tproc may be called with `run --name`: docker's rule for container names, 1-128 of
// [A-Za-z0-9_.-] starting with a letter or digit, and not all digits, which would read as an id
// (`tproc logs s 12` must mean tproc 12). No spaces, slashes or control characters, so a name is
// one word in ps's table and in a shell. Names a program gets by default (its file name) and
// compose's replica names are not held to it: they are not typed by a user as `--name`.

#include <string>

#include "common/result.hpp"

namespace tproc::space {

/// The longest name `run --name` accepts, in bytes.
inline constexpr size_t kMaxTprocNameLength = 128;

/// Ok for a name `run --name` may give; otherwise an error naming it and the rule it breaks.
inline Result<void> validate_tproc_name(const std::string& name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  bool valid = !name.empty() && name.size() <= kMaxTprocNameLength && alnum(name[0]);
  bool digits_only = true;
  for (char c : name) {
    valid &= alnum(c) || c == '_' || c == '.' || c == '-';
    digits_only &= c >= '0' && c <= '9';
  }
  if (valid && !digits_only) return ok();
  return Error::explained("invalid name '" + name + "': a name is 1-128 letters, digits, '_', '.', '-', starting with a "
                          "letter or digit, and not all digits (that is an id)",
                          EINVAL);
}

}  // namespace tproc::space
