// nearest_word: which valid word a typo meant, for every "did you mean" of the CLI, the manifest
// and the compose file.

#include "common/nearest_word.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string_view>

using tproc::nearest_word;

namespace {
constexpr std::array<std::string_view, 6> kOptions{"cwd", "detach", "env", "env-file", "name", "rm"};
}

TEST_CASE("two neighbouring letters swapped are one slip, not two") {
  CHECK(nearest_word("cdw", kOptions) == "cwd");
  CHECK(nearest_word("dteach", kOptions) == "detach");
  constexpr std::array<std::string_view, 3> verbs{"stop", "start", "stats"};
  CHECK(nearest_word("sotp", verbs) == "stop");
}

TEST_CASE("a letter missing, extra or wrong, and a different case, are near") {
  CHECK(nearest_word("detatch", kOptions) == "detach");
  CHECK(nearest_word("nmae", kOptions) == "name");
  CHECK(nearest_word("CWD", kOptions) == "cwd");
  CHECK(nearest_word("envfile", kOptions) == "env-file");
}

TEST_CASE("a word unlike every candidate gets no suggestion") {
  CHECK_FALSE(nearest_word("xyzzy", kOptions).has_value());
  CHECK_FALSE(nearest_word("q", kOptions).has_value());
}
