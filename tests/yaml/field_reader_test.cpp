// Specification of FieldReader: each typed reader takes the value it expects or names the field
// (by its path), what it expected, what it found and where: `FILE:LINE:COL: path: reason`, one
// line, EINVAL. The decoders of tproc.yaml and app.yaml add only their own fields' rules to these.

#include "yaml/field_reader.hpp"

#include <catch2/catch.hpp>
#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using tproc::Error;
using tproc::Result;
using tproc::yaml::EmptyStrings;
using tproc::yaml::Entry;
using tproc::yaml::Field;
using tproc::yaml::FieldReader;

const FieldReader sut("test.yaml");

// The field `key` of the one-map document `text`, found the way a decoder finds it.
Field field_of(const std::string& text, std::string_view key) {
  auto entries = sut.entries_of(FieldReader::root(YAML::Load(text)), {});
  if (!entries) FAIL(entries.error().describe());
  for (const Entry& entry : *entries)
    if (entry.key == key) return entry.value;
  FAIL("no key " << key);
  return Field{};
}

template <class T>
std::string error_of(const Result<T>& result) {
  REQUIRE_FALSE(result);
  CHECK(result.error().code() == EINVAL);
  const std::string message = result.error().describe();
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

constexpr std::array<std::string_view, 3> kColours = {"red", "green", "blue"};

}  // namespace

TEST_CASE("an error is FILE:LINE:COL: path: reason, counted from 1, with EINVAL") {
  const Error error = sut.fail(field_of("a: 1\nlimits: {stack: x}\n", "limits"), "too small");
  CHECK(error.describe() == "test.yaml:2:9: limits: too small");
  CHECK(error.code() == EINVAL);
  CHECK(sut.fail(YAML::Mark::null_mark(), "", "empty file").describe() == "test.yaml:1:1: empty file");
  CHECK(FieldReader::position(YAML::Mark::null_mark()) == tproc::yaml::Position{1, 1});
}

TEST_CASE("entries_of gives a map's entries in file order, each with its path and position") {
  auto entries = sut.entries_of(field_of("env:\n  B: 2\n  A: 1\n  C:\n", "env"), {});
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].key == "B");
  CHECK((*entries)[1].key == "A");
  CHECK((*entries)[1].value.path == "env.A");
  CHECK(FieldReader::position((*entries)[1].value.mark) == tproc::yaml::Position{3, 6});
  // An empty value is placed at its key: yaml-cpp would point at the next token.
  CHECK(FieldReader::position((*entries)[2].value.mark) == tproc::yaml::Position{4, 3});
}

TEST_CASE("entries_of refuses unknown keys with a hint, keys given twice, and keys that are not strings") {
  constexpr std::array<std::string_view, 3> known = {"name", "version", "entrypoint"};
  const Field top = FieldReader::root(YAML::Load("name: a\nentrypiont: b\n"));
  CHECK_THAT(error_of(sut.entries_of(top, known)),
             Equals("test.yaml:2:1: entrypiont: unknown key (did you mean 'entrypoint'?)"));
  CHECK_THAT(error_of(sut.entries_of(FieldReader::root(YAML::Load("zzzzzz: 1\n")), known)),
             Equals("test.yaml:1:1: zzzzzz: unknown key (expected 'name', 'version' or 'entrypoint')"));
  CHECK_THAT(error_of(sut.entries_of(FieldReader::root(YAML::Load("a: 1\nb: 2\na: 3\n")), {})),
             Equals("test.yaml:3:1: a: duplicate key (first given on line 1)"));
  CHECK_THAT(error_of(sut.entries_of(field_of("env: {[x]: 1}\n", "env"), {})),
             Equals("test.yaml:1:7: env: expected a string key, got a list"));
  CHECK_THAT(error_of(sut.entries_of(field_of("env: [A=1]\n", "env"), {})),
             Equals("test.yaml:1:6: env: expected a map, got a list"));
  CHECK_THAT(error_of(sut.entries_of(field_of("env: {\"\\N\": 1}\n", "env"), {})),
             Equals("test.yaml:1:7: env: a key whose escapes decode to invalid UTF-8"));
}

TEST_CASE("string_of takes any scalar as written, and names the key, the value and where otherwise") {
  CHECK(*sut.string_of(field_of("port: 7000\n", "port")) == "7000");
  CHECK(*sut.string_of(field_of("strict: true\n", "strict")) == "true");
  CHECK(*sut.string_of(field_of("empty: \"\"\n", "empty")) == "");
  CHECK_THAT(error_of(sut.string_of(field_of("name: a\nentrypoint: [b]\n", "entrypoint"))),
             Equals("test.yaml:2:13: entrypoint: expected a string, got a list"));
  CHECK_THAT(error_of(sut.string_of(field_of("name: {a: b}\n", "name"))),
             Equals("test.yaml:1:7: name: expected a string, got a map"));
  CHECK_THAT(error_of(sut.string_of(field_of("name:\n", "name"))),
             Equals("test.yaml:1:1: name: expected a string, got null"));
  CHECK_THAT(error_of(sut.string_of(field_of("name: \"a\\0b\"\n", "name"))),
             Equals("test.yaml:1:7: name: contains a NUL byte"));
  CHECK_THAT(error_of(sut.string_of(field_of("name: \"\\N\"\n", "name"))),
             Equals("test.yaml:1:7: name: its escapes decode to invalid UTF-8"));
}

TEST_CASE("nonempty_string_of refuses the empty string") {
  CHECK(*sut.nonempty_string_of(field_of("name: a\n", "name")) == "a");
  CHECK_THAT(error_of(sut.nonempty_string_of(field_of("name: \"\"\n", "name"))),
             Equals("test.yaml:1:7: name: must not be empty"));
}

TEST_CASE("strings_of reads a list of strings, naming a bad item by its index") {
  const Field args = field_of("args: [a, \"\", 3]\n", "args");
  CHECK(*sut.strings_of(args, EmptyStrings::allowed) == std::vector<std::string>{"a", "", "3"});
  CHECK_THAT(error_of(sut.strings_of(args, EmptyStrings::refused)), Equals("test.yaml:1:11: args[1]: must not be empty"));
  CHECK_THAT(error_of(sut.strings_of(field_of("args: [ok, [nested]]\n", "args"), EmptyStrings::allowed)),
             Equals("test.yaml:1:12: args[1]: expected a string, got a list"));
  CHECK_THAT(error_of(sut.strings_of(field_of("args: {x: 1}\n", "args"), EmptyStrings::allowed)),
             Equals("test.yaml:1:7: args: expected a list of strings, got a map"));
}

TEST_CASE("integer_of reads decimal digits below 2^64 and says why anything else is not one") {
  CHECK(*sut.integer_of(field_of("n: 4096\n", "n")) == 4096u);
  CHECK(*sut.integer_of(field_of("n: 18446744073709551615\n", "n")) == UINT64_MAX);
  CHECK_THAT(error_of(sut.integer_of(field_of("n: many\n", "n"))), Equals("test.yaml:1:4: n: expected an integer, got \"many\""));
  CHECK_THAT(error_of(sut.integer_of(field_of("n: -1\n", "n"))),
             Equals("test.yaml:1:4: n: expected a non-negative integer, got \"-1\""));
  CHECK_THAT(error_of(sut.integer_of(field_of("n: 18446744073709551616\n", "n"))),
             Equals("test.yaml:1:4: n: expected an integer below 2^64, got \"18446744073709551616\""));
  CHECK_THAT(error_of(sut.integer_of(field_of("n: 0x10\n", "n"))), Equals("test.yaml:1:4: n: expected an integer, got \"0x10\""));
  CHECK_THAT(error_of(sut.integer_of(field_of("n: [1]\n", "n"))), Equals("test.yaml:1:4: n: expected an integer, got a list"));
}

TEST_CASE("bool_of reads YAML's booleans") {
  CHECK(*sut.bool_of(field_of("core: true\n", "core")) == true);
  CHECK(*sut.bool_of(field_of("core: off\n", "core")) == false);
  CHECK_THAT(error_of(sut.bool_of(field_of("core: maybe\n", "core"))),
             Equals("test.yaml:1:7: core: expected true or false, got \"maybe\""));
}

TEST_CASE("choice_of gives the index of a word from a fixed set, and suggests the nearest otherwise") {
  CHECK(*sut.choice_of(field_of("colour: blue\n", "colour"), kColours) == 2u);
  CHECK_THAT(error_of(sut.choice_of(field_of("colour: gren\n", "colour"), kColours)),
             Equals("test.yaml:1:9: colour: expected 'red', 'green' or 'blue', got \"gren\" (did you mean 'green'?)"));
  CHECK_THAT(error_of(sut.choice_of(field_of("colour: purple\n", "colour"), kColours)),
             Equals("test.yaml:1:9: colour: expected 'red', 'green' or 'blue', got \"purple\""));
  CHECK_THAT(error_of(sut.choice_of(field_of("colour: [red]\n", "colour"), kColours)),
             Equals("test.yaml:1:9: colour: expected a string, got a list"));
}

TEST_CASE("values quoted in errors are escaped and cut short, so an error stays one readable line") {
  const std::string message =
      error_of(sut.integer_of(field_of("n: \"1\\n2" + std::string(200, 'x') + "\"\n", "n")));
  CHECK_THAT(message, StartsWith("test.yaml:1:4: n: expected an integer, got \"1\\n2xxx") && Contains("...\""));
  CHECK(message.size() < 120);
  CHECK(tproc::yaml::quoted("say \"hi\"\t") == "\"say \\\"hi\\\"\\t\"");
}

TEST_CASE("paths name nested keys and list items, keys made printable") {
  CHECK(tproc::yaml::join_path("", "limits") == "limits");
  CHECK(tproc::yaml::join_path("limits", "stack") == "limits.stack");
  CHECK(tproc::yaml::join_path("env", "A\nB") == "env.A\\nB");
  const Field list = field_of("endpoints: [x, y]\n", "endpoints");
  CHECK(FieldReader::element(list, list.node[1], 1).path == "endpoints[1]");
}

TEST_CASE("parse_decimal takes digits only") {
  using tproc::yaml::parse_decimal;
  CHECK(parse_decimal("0") == 0u);
  CHECK(parse_decimal("512") == 512u);
  CHECK_FALSE(parse_decimal(""));
  CHECK_FALSE(parse_decimal("+1"));
  CHECK_FALSE(parse_decimal("-1"));
  CHECK_FALSE(parse_decimal("1k"));
  CHECK_FALSE(parse_decimal("0x10"));
  CHECK_FALSE(parse_decimal("18446744073709551616"));
}

TEST_CASE("guarded turns an exception yaml-cpp throws into a positioned bad-YAML error") {
  const Field port = field_of("name: a\nport: seven\n", "port");
  auto result = sut.guarded([&]() -> Result<int> { return port.node.as<int>(); });
  CHECK_THAT(error_of(result), StartsWith("test.yaml:2:7: bad YAML: "));
  CHECK(*sut.guarded([]() -> Result<int> { return 7; }) == 7);
}
