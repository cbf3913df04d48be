#pragma once
// Catch2 matchers for how a `tproc` command ended, so a test reads as the contract it checks:
//   REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "3"}), ExitsWith(3));
//   REQUIRE_THAT(sandbox.tproc({"run", "s", "/nonexistent"}),
//                IsOneLineError().naming("/nonexistent").because_of({"No such file"}));
// On failure Catch prints the whole Outcome: status, stdout and stderr.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "child_process.hpp"

namespace tproc::e2e {

/// Matches a process that finished (no harness timeout) with `status` (128+N for signal N).
class ExitsWith : public Catch::MatcherBase<Outcome> {
 public:
  explicit ExitsWith(int status) : status_(status) {}
  bool match(const Outcome& outcome) const override;
  std::string describe() const override;

 private:
  int status_;
};

/// Matches a command that failed the way tproc reports errors: a non-zero exit of its own (no
/// crash, no timeout) and exactly one line on stderr that starts with "tproc: ", which contains
/// each `naming(...)` text verbatim and, outside those texts, at least one of the words of each
/// `because_of(...)` (compared without case).
class IsOneLineError : public Catch::MatcherBase<Outcome> {
 public:
  /// The message must contain `text` (a path, a space name, an ID).
  IsOneLineError& naming(std::string text);
  /// The message must contain at least one of `words`, compared without case.
  IsOneLineError& because_of(std::vector<std::string> words);
  /// The line starts with "PROGRAM: " instead of "tproc: " (tproc-oci).
  IsOneLineError& from(std::string program) {
    program_ = std::move(program);
    return *this;
  }

  bool match(const Outcome& outcome) const override;
  std::string describe() const override;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> reasons_;
  std::string program_ = "tproc";
};

}  // namespace tproc::e2e
