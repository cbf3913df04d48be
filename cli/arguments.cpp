#include "cli/arguments.hpp"

#include <algorithm>
#include <optional>

#include "common/nearest_word.hpp"

namespace tproc::cli {
namespace {

/// The option whose short name is `letter`, or null.
const OptionSpec* find_short(char letter, const std::vector<OptionSpec>& options) {
  for (const OptionSpec& option : options)
    if (option.short_name == letter) return &option;
  return nullptr;
}

char swapped_case(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 'A');
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c;
}

/// What an unknown short option -X most likely meant: the same letter in the other case (-T for
/// -t), else the one long option that starts with it (-w for --wait where -w is not a flag).
std::optional<std::string> nearest_short(char letter, const std::vector<OptionSpec>& options) {
  if (const OptionSpec* other_case = find_short(swapped_case(letter), options))
    return "-" + std::string(1, other_case->short_name) + " (--" + other_case->long_name + ")";
  const OptionSpec* starting = nullptr;
  for (const OptionSpec& option : options) {
    if (option.long_name.empty() || (option.long_name[0] != letter && option.long_name[0] != swapped_case(letter))) continue;
    if (starting) return std::nullopt;  // two candidates: no guess
    starting = &option;
  }
  if (starting) return "--" + starting->long_name;
  return std::nullopt;
}

/// "unknown option --detatch (did you mean --detach?)", "unknown option -T (did you mean -t
/// (--timestamps)?)": the nearest option of this command, if one is close. `word` is the whole
/// argument of a short option: a long option typed with one dash (-cwd) is recognised too.
Error unknown_option(const std::string& name, bool is_long, const std::vector<OptionSpec>& options,
                     std::string_view word = {}) {
  std::string message = "unknown option " + (is_long ? "--" + name : "-" + name);
  std::vector<std::string_view> known;
  for (const OptionSpec& option : options) known.push_back(option.long_name);
  known.push_back("help");
  std::optional<std::string> suggestion;
  if (is_long) {
    if (std::optional<std::string_view> nearest = nearest_word(name, known)) suggestion = "--" + std::string(*nearest);
  } else {
    // "-cwd": a long option given one dash, as Go's flag package would take it.
    std::string_view long_form = word.substr(std::min<size_t>(1, word.size()));
    if (size_t equals = long_form.find('='); equals != std::string_view::npos) long_form = long_form.substr(0, equals);
    if (long_form.size() > 1)
      if (std::optional<std::string_view> nearest = nearest_word(long_form, known)) suggestion = "--" + std::string(*nearest);
    if (!suggestion && name.size() == 1) suggestion = nearest_short(name[0], options);
  }
  if (suggestion) message += " (did you mean " + *suggestion + "?)";
  return Error::explained(message, EINVAL);
}

}  // namespace

Result<Arguments> Arguments::parse(std::span<char* const> args, const std::vector<OptionSpec>& options,
                                   bool positionals_end_options) {
  Arguments parsed;
  bool options_over = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (options_over || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      if (positionals_end_options) options_over = true;
      continue;
    }
    if (arg == "--") {
      options_over = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.help_ = true;
      continue;
    }
    const bool is_long = arg.starts_with("--");
    std::string name = is_long ? arg.substr(2) : arg.substr(1, 1);
    std::string inline_value;
    bool has_inline = false;
    size_t at = 1;  // a short option's letter in the word
    if (is_long) {
      if (size_t equals = name.find('='); equals != std::string::npos) {
        inline_value = name.substr(equals + 1);
        name = name.substr(0, equals);
        has_inline = true;
      }
    } else {
      // Combined short flags as getopt and docker read them: `-qa` is -q -a, `-fv` is -f -v; the
      // first flag that takes a value takes the rest of the word (`-sTERM`, `-at5`).
      for (; at + 1 < arg.size(); ++at) {
        const OptionSpec* flag = find_short(arg[at], options);
        if (!flag) return unknown_option(arg.substr(at, 1), false, options, at == 1 ? std::string_view(arg) : "");
        if (flag->takes_value) break;
        parsed.values_[flag->long_name].push_back("");
      }
      name = arg.substr(at, 1);
      if (at + 1 < arg.size()) {
        inline_value = arg.substr(at + 1);
        has_inline = true;
      }
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& option : options)
      if ((is_long && option.long_name == name) || (!is_long && option.short_name == name[0])) spec = &option;
    if (!spec) return unknown_option(name, is_long, options, is_long || at == 1 ? std::string_view(arg) : "");
    if (!spec->takes_value) {
      if (has_inline) return Error::explained("option --" + spec->long_name + " takes no value", EINVAL);
      parsed.values_[spec->long_name].push_back("");
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= args.size()) return Error::explained("option --" + spec->long_name + " needs a value", EINVAL);
      inline_value = args[++i];
    }
    parsed.values_[spec->long_name].push_back(inline_value);
  }
  return parsed;
}

std::string Arguments::value(const std::string& name, const std::string& fallback) const {
  auto found = values_.find(name);
  return found == values_.end() ? fallback : found->second.back();
}

Result<bool> Arguments::json_format() const {
  const std::string format = value("format", "table");
  if (format != "table" && format != "json") return Error::explained("unknown --format '" + format + "' (table or json)", EINVAL);
  return format == "json";
}

std::vector<std::string> Arguments::values(const std::string& name) const {
  auto found = values_.find(name);
  return found == values_.end() ? std::vector<std::string>{} : found->second;
}

Result<void> Arguments::expect_operands(std::string_view verb, size_t least, size_t most, std::string_view operands) const {
  const std::string help = "see 'tproc " + std::string(verb) + " --help'";
  if (positional_.size() < least)
    return Error::explained(std::string(verb) + " needs " + std::string(operands) + " (" + help + ")", EINVAL);
  if (positional_.size() > most)
    return Error::explained("too many arguments for " + std::string(verb) + ", from '" + positional_[most] + "' on (" +
                                std::string(verb) + " takes " + std::string(operands) + "; " + help + ")",
                            EINVAL);
  return ok();
}

}  // namespace tproc::cli
