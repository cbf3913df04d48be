// common/printable.cpp: untrusted text made safe for one-line errors and for a terminal.

#include "common/printable.hpp"

#include <catch2/catch.hpp>

#include <string>

using tproc::terminal_text;

TEST_CASE("terminal_text escapes every control character, C0, DEL and C1, as backslash-x and two hex digits") {
  CHECK(terminal_text("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(terminal_text("row\nforged") == "row\\x0aforged");
  CHECK(terminal_text("tab\there\r") == "tab\\x09here\\x0d");
  CHECK(terminal_text("del\x7f") == "del\\x7f");
  CHECK(terminal_text("csi\xc2\x9b" "2J") == "csi\\xc2\\x9b2J");  // U+009B, the 8-bit CSI
  CHECK(terminal_text(std::string("nul\0x", 5)) == "nul\\x00x");
}

TEST_CASE("terminal_text keeps valid UTF-8 and escapes bytes that are not") {
  CHECK(terminal_text("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x99\x82") == "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x99\x82");
  CHECK(terminal_text("\xc2\xa0") == "\xc2\xa0");          // U+00A0, just past C1
  CHECK(terminal_text("raw\x9b" "2J") == "raw\\x9b2J");     // a lone 8-bit CSI
  CHECK(terminal_text("\xc0\xaf") == "\\xc0\\xaf");         // overlong '/'
  CHECK(terminal_text("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // a surrogate
  CHECK(terminal_text("cut\xe2\x9c") == "cut\\xe2\\x9c");     // truncated at the end
}

TEST_CASE("terminal_text doubles backslashes unless the text was escaped already") {
  CHECK(terminal_text("a\\x1b") == "a\\\\x1b");
  CHECK(terminal_text("a\\x1b", false) == "a\\x1b");
  CHECK(terminal_text("plain text, \"quoted\"") == "plain text, \"quoted\"");
}
