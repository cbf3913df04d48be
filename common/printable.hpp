#pragma once
// Untrusted text inside a one-line error message.

#include <string>
#include <string_view>

namespace tproc {

/// `text` with control bytes, quotes and backslashes escaped (\n, \t, \", \\, \xNN) and cut after
/// `max_length` bytes ("..."), so user data can neither break an error's single line nor forge one.
std::string printable(std::string_view text, size_t max_length = 200);

}  // namespace tproc
