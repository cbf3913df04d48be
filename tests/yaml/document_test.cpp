// Specification of load_document: a manifest file is one YAML document of UTF-8 text, and
// whatever else it is (bytes that are not UTF-8, several documents, nesting that would exhaust the
// stack, bad syntax) is a one-line `FILE:LINE:COL: reason` error with EINVAL, never a crash.

#include "yaml/document.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <string_view>

namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using tproc::yaml::FieldReader;
using tproc::yaml::load_document;

YAML::Node loaded(std::string_view text) {
  auto document = load_document(text, FieldReader("test.yaml"));
  if (!document) FAIL(document.error().describe());
  return *document;
}

std::string error_of(std::string_view text) {
  auto document = load_document(text, FieldReader("test.yaml"));
  REQUIRE_FALSE(document);
  CHECK(document.error().code() == EINVAL);
  const std::string message = document.error().describe();
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("one document loads as it is written") {
  const YAML::Node document = loaded("name: a\nargs: [x, y]\n");
  REQUIRE(document.IsMap());
  CHECK(document["name"].Scalar() == "a");
  CHECK(document["args"].size() == 2);
  CHECK(loaded("---\nname: a\n...\n")["name"].Scalar() == "a");
}

TEST_CASE("an empty file, or one of comments only, is a null document for the caller to judge") {
  CHECK(loaded("").IsNull());
  CHECK(loaded("# nothing here\n\n").IsNull());
}

TEST_CASE("bytes that are not UTF-8 are refused at the first bad one, with its line and column") {
  CHECK_THAT(error_of("name: a\nargs: [\"caf\xc3\xa9\", \"\xff\"]\n"),
             Equals("test.yaml:2:17: invalid UTF-8 (a manifest is UTF-8 text)"));
  CHECK_THAT(error_of("name: \xed\xa0\x80\n"), Equals("test.yaml:1:7: invalid UTF-8 (a manifest is UTF-8 text)"));
  CHECK_THAT(error_of("name: \xc0\xaf\n"), StartsWith("test.yaml:1:7: invalid UTF-8"));
  CHECK_THAT(error_of("name: b\xe2\x82"), StartsWith("test.yaml:1:8: invalid UTF-8"));
  CHECK(loaded("\xef\xbb\xbfname: \xf0\x9f\x93\xa6\n")["name"].Scalar() == "\xf0\x9f\x93\xa6");
}

TEST_CASE("a second document is refused at its start, however many follow") {
  CHECK_THAT(error_of("name: a\n---\nname: b\n"), Equals("test.yaml:2:1: expected one YAML document, found 2"));
  CHECK_THAT(error_of("a: 1\n---\nb: 2\n---\nc: 3\n"), Equals("test.yaml:2:1: expected one YAML document, found 3"));
  std::string many = "a: 1\n";
  for (int i = 0; i < 40; ++i) many += "---\nb: 2\n";
  CHECK_THAT(error_of(many), Equals("test.yaml:2:1: expected one YAML document, found more than 16"));
}

TEST_CASE("inputs on which yaml-cpp finds documents without end are refused at once") {
  // yaml-cpp 0.7's LoadAll never returns on these (found by tests/fuzz/manifest_fuzz).
  for (const char* text : {"\"\",", ","}) CHECK_THAT(error_of(text), Contains("expected one YAML document"));
}

TEST_CASE("nesting deep enough to exhaust the stack is refused, not followed") {
  CHECK_THAT(error_of(std::string(100000, '[')), Contains(": bad YAML: nested too deeply"));
  CHECK_THAT(error_of("args: " + std::string(5000, '[') + std::string(5000, ']') + "\n"),
             Contains(": bad YAML: nested too deeply"));
  std::string maps;
  for (int i = 0; i < 5000; ++i) maps += "{a: ";
  CHECK_THAT(error_of(maps + "1" + std::string(5000, '}')), Contains(": bad YAML: nested too deeply"));
}

TEST_CASE("bad syntax is reported at yaml-cpp's position, on one line") {
  CHECK_THAT(error_of("name: a\n  args: b\n"), StartsWith("test.yaml:2:7: bad YAML: "));
  CHECK_THAT(error_of("args: [x, y\nenv: {}\n"), StartsWith("test.yaml:") && Contains(": bad YAML: "));
  // yaml-cpp's message may quote a control character of the input.
  CHECK_THAT(error_of(std::string("eb\0\n", 4)), StartsWith("test.yaml:"));
}
