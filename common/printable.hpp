#pragma once
// Untrusted text inside a one-line error message.

#include <string>
#include <string_view>

namespace tproc {

/// `text` with control bytes, quotes and backslashes escaped (\n, \t, \", \\, \xNN) and cut after
/// `max_length` bytes ("..."), so user data can neither break an error's single line nor forge one.
std::string printable(std::string_view text, size_t max_length = 200);

/// `text` safe to print on a terminal as it is: every control character (C0, tab and newline
/// included, DEL, and the C1 range U+0080-U+009F, where 0x9b is a CSI) and every byte that is
/// not part of valid UTF-8 escaped as \xNN, a backslash doubled unless `double_backslashes` is
/// false (text that printable() already escaped). What a file, a bundle or a program named (a
/// file name, an image title, a program name) cannot clear the screen, move the cursor or forge
/// a row.
std::string terminal_text(std::string_view text, bool double_backslashes = true);

}  // namespace tproc
