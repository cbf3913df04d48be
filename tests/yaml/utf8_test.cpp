// Specification of first_invalid_utf8: where text stops being well-formed UTF-8 (RFC 3629), as a
// 0-based line and a column counted in characters.

#include "yaml/utf8.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using tproc::yaml::first_invalid_utf8;
using tproc::yaml::TextPosition;

}  // namespace

TEST_CASE("well-formed UTF-8 of every length has no invalid byte") {
  CHECK_FALSE(first_invalid_utf8(""));
  CHECK_FALSE(first_invalid_utf8("plain ASCII\n"));
  CHECK_FALSE(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6"));  // é € 📦
  CHECK_FALSE(first_invalid_utf8("\xef\xbb\xbf" "bom"));
  CHECK_FALSE(first_invalid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST_CASE("the position of the first bad byte counts lines from 0 and columns in characters") {
  CHECK(first_invalid_utf8("\xff") == TextPosition{0, 0});
  CHECK(first_invalid_utf8("caf\xc3\xa9\xff") == TextPosition{0, 4});
  CHECK(first_invalid_utf8("a\nbc\n\xc3\xa9\xc3\xa9x\x80") == TextPosition{2, 3});
}

TEST_CASE("overlong forms, surrogates, code points past U+10FFFF and cut sequences are invalid") {
  CHECK(first_invalid_utf8("\xc0\xaf") == TextPosition{0, 0});          // overlong '/'
  CHECK(first_invalid_utf8("\xe0\x80\xaf") == TextPosition{0, 0});      // overlong, 3 bytes
  CHECK(first_invalid_utf8("\xf0\x80\x80\xaf") == TextPosition{0, 0});  // overlong, 4 bytes
  CHECK(first_invalid_utf8("\xed\xa0\x80") == TextPosition{0, 0});      // U+D800, a surrogate
  CHECK(first_invalid_utf8("\xf4\x90\x80\x80") == TextPosition{0, 0});  // U+110000
  CHECK(first_invalid_utf8("\xf5\x80\x80\x80") == TextPosition{0, 0});
  CHECK(first_invalid_utf8("ab\xe2\x82") == TextPosition{0, 2});        // cut by the end
  CHECK(first_invalid_utf8("ab\xe2x\x82") == TextPosition{0, 2});       // cut by an ASCII byte
}
