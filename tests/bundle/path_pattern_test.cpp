// The files:/exclude: pattern language: segments matched by fnmatch(3), `**` as zero or more
// directories (gitignore, compose), and the refusals that keep a pattern inside the project.

#include <catch2/catch.hpp>

#include "bundle/path_pattern.hpp"

using tproc::bundle::PathPattern;

namespace {

PathPattern pattern(const char* text) {
  auto parsed = PathPattern::parse(text);
  REQUIRE(parsed);
  return *parsed;
}

}  // namespace

TEST_CASE("a pattern without wildcards matches exactly its path") {
  const PathPattern sut = pattern("data/notes.txt");
  CHECK(sut.matches("data/notes.txt"));
  CHECK_FALSE(sut.matches("data/notes.txt.bak"));
  CHECK_FALSE(sut.matches("data"));
  CHECK_FALSE(sut.matches("other/data/notes.txt"));
  CHECK(sut.is_literal());
  CHECK(sut.literal_prefix() == "data/notes.txt");
}

TEST_CASE("a single * stays within one directory, and matches dot files as gitignore does") {
  const PathPattern sut = pattern("data/*.txt");
  CHECK(sut.matches("data/a.txt"));
  CHECK(sut.matches("data/.hidden.txt"));
  CHECK_FALSE(sut.matches("data/sub/a.txt"));
  CHECK_FALSE(sut.matches("data/a.txt/more"));
  CHECK_FALSE(sut.is_literal());
  CHECK(sut.literal_prefix() == "data");
}

TEST_CASE("** matches zero or more whole directories") {
  const PathPattern sut = pattern("data/**/*.json");
  CHECK(sut.matches("data/a.json"));
  CHECK(sut.matches("data/x/a.json"));
  CHECK(sut.matches("data/x/y/z/a.json"));
  CHECK_FALSE(sut.matches("data/x/a.yaml"));
  CHECK_FALSE(sut.matches("other/x/a.json"));
}

TEST_CASE("a trailing ** matches everything below, not the directory itself") {
  const PathPattern sut = pattern("data/**");
  CHECK(sut.matches("data/a"));
  CHECK(sut.matches("data/x/y/a"));
  CHECK_FALSE(sut.matches("data"));
  CHECK_FALSE(sut.matches("database/a"));
}

TEST_CASE("a leading ** matches at any depth, the top included") {
  const PathPattern sut = pattern("**/*.o");
  CHECK(sut.matches("main.o"));
  CHECK(sut.matches("src/deep/main.o"));
  CHECK_FALSE(sut.matches("src/main.c"));
  CHECK(pattern("**").matches("anything/at/all"));
}

TEST_CASE("** inside a segment is a plain * that does not cross directories") {
  const PathPattern sut = pattern("data/a**b");
  CHECK(sut.matches("data/axxb"));
  CHECK_FALSE(sut.matches("data/a/x/b"));
}

TEST_CASE("?, [...] and backslash escapes are fnmatch's") {
  CHECK(pattern("log?.txt").matches("log1.txt"));
  CHECK_FALSE(pattern("log?.txt").matches("log12.txt"));
  CHECK(pattern("v[0-9].bin").matches("v7.bin"));
  CHECK_FALSE(pattern("v[0-9].bin").matches("vx.bin"));
  CHECK(pattern("star\\*.txt").matches("star*.txt"));
  CHECK_FALSE(pattern("star\\*.txt").matches("starry.txt"));
}

TEST_CASE("many ** in a row cost no more than one") {
  const PathPattern sut = pattern("**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/x");
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "d/";
  CHECK(sut.matches(deep + "x"));
  CHECK_FALSE(sut.matches(deep + "y"));
}

TEST_CASE("may_match_below tells which directories a walk must enter") {
  const PathPattern sut = pattern("src/*/include/**");
  CHECK(sut.may_match_below(""));
  CHECK(sut.may_match_below("src"));
  CHECK(sut.may_match_below("src/lib"));
  CHECK(sut.may_match_below("src/lib/include"));
  CHECK(sut.may_match_below("src/lib/include/deep"));
  CHECK_FALSE(sut.may_match_below("docs"));
  CHECK_FALSE(sut.may_match_below("src/lib/other"));
  CHECK_FALSE(pattern("data/a.txt").may_match_below("data/a.txt"));
}

TEST_CASE("./ segments and a trailing slash name the same path") {
  CHECK(pattern("./data/").matches("data"));
  CHECK(pattern("data//").literal_prefix() == "data");
}

TEST_CASE("patterns that leave the project, or name nothing, are refused with the pattern named") {
  for (const char* bad : {"/etc/passwd", "../secret", "data/../../secret", "..", "a//b", "", ".", "./"}) {
    auto parsed = PathPattern::parse(bad);
    INFO(bad);
    REQUIRE_FALSE(parsed);
    if (*bad != '\0') CHECK(parsed.error().message().find(std::string("'") + bad + "'") != std::string::npos);
  }
}
