#pragma once
// Arguments: a small command-line parser for the subcommands (long and short options, values,
// repeated options, "--", and stopping at the first positional for commands like `run` whose
// trailing arguments belong to the program).

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::cli {

/// One option a command accepts.
struct OptionSpec {
  std::string long_name;   ///< "detach" for --detach
  char short_name = 0;     ///< 'd' for -d, or 0
  bool takes_value = false;
};

/// Parsed arguments.
class Arguments {
 public:
  /// Parses `args`. With `positionals_end_options`, everything from the first positional on is
  /// positional (so `run SPACE prog -x` leaves -x to prog). Unknown options are errors.
  static Result<Arguments> parse(std::span<char* const> args, const std::vector<OptionSpec>& options,
                                 bool positionals_end_options = false);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// The last value given for `name`, or `fallback`.
  std::string value(const std::string& name, const std::string& fallback = "") const;
  /// Every value given for a repeatable option, in order.
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  /// The value of --format: true for json, false for table (the default); other values are errors.
  Result<bool> json_format() const;
  bool wants_help() const { return help_; }
  /// Ok when `least` to `most` positionals were given. Otherwise "VERB needs OPERANDS" (too few) or
  /// "too many arguments for VERB, from 'X' on (VERB takes OPERANDS)", both pointing at
  /// `tproc VERB --help`. OPERANDS reads as a phrase: "SPACE and ID|NAME", "at most one SPACE".
  Result<void> expect_operands(std::string_view verb, size_t least, size_t most, std::string_view operands) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace tproc::cli
