// Arguments: how every verb reads its options, and what it says about one it does not know —
// the nearest real option of that verb, long or short (issue 16's "did you mean").

#include "cli/arguments.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using tproc::cli::Arguments;
using tproc::cli::OptionSpec;

namespace {

const std::vector<OptionSpec> kRunLike{{"detach", 'd', false}, {"cwd", 'w', true}, {"env", 'e', true}, {"name", 0, true}};
const std::vector<OptionSpec> kLogsLike{{"follow", 'f', false}, {"tail", 'n', true}, {"since", 0, true}, {"timestamps", 't', false}};

/// The error parsing `words` with `options` gives ("" when it parses).
std::string refusal(std::vector<std::string> words, const std::vector<OptionSpec>& options) {
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  auto parsed = Arguments::parse(argv, options);
  return parsed ? "" : parsed.error().describe();
}

}  // namespace

TEST_CASE("a long option one slip from a real one is suggested, a swap of two letters included") {
  CHECK(refusal({"--cdw", "/tmp"}, kRunLike) == "unknown option --cdw (did you mean --cwd?)");
  CHECK(refusal({"--detatch"}, kRunLike) == "unknown option --detatch (did you mean --detach?)");
  CHECK(refusal({"--nmae=x"}, kRunLike) == "unknown option --nmae (did you mean --name?)");
  CHECK(refusal({"--hlep"}, kRunLike) == "unknown option --hlep (did you mean --help?)");
  CHECK(refusal({"--xyzzy"}, kRunLike) == "unknown option --xyzzy");
}

TEST_CASE("an unknown short option gets the same letter in the other case, or the one long option it starts") {
  CHECK(refusal({"-T"}, kLogsLike) == "unknown option -T (did you mean -t (--timestamps)?)");
  CHECK(refusal({"-F"}, kLogsLike) == "unknown option -F (did you mean -f (--follow)?)");
  CHECK(refusal({"-s", "10m"}, kLogsLike) == "unknown option -s (did you mean --since?)");
  CHECK(refusal({"-W", "/"}, kRunLike) == "unknown option -W (did you mean -w (--cwd)?)");
  // Two long options start with the letter: no guess.
  const std::vector<OptionSpec> two{{"rm", 0, false}, {"rootfs", 0, true}};
  CHECK(refusal({"-r"}, two) == "unknown option -r");
  CHECK(refusal({"-z"}, kLogsLike) == "unknown option -z");
}

TEST_CASE("a long option typed with one dash is recognised as the long option") {
  CHECK(refusal({"-cwd", "/tmp"}, kRunLike) == "unknown option -c (did you mean --cwd?)");
  CHECK(refusal({"-since=10m"}, kLogsLike) == "unknown option -s (did you mean --since?)");
  CHECK(refusal({"-name", "x"}, kRunLike) == "unknown option -n (did you mean --name?)");
}

TEST_CASE("an unknown letter inside combined flags is named alone") {
  CHECK(refusal({"-fz"}, kLogsLike) == "unknown option -z");
  CHECK(refusal({"-fT"}, kLogsLike) == "unknown option -T (did you mean -t (--timestamps)?)");
  CHECK(refusal({"-ft"}, kLogsLike).empty());
}
