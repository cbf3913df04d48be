#pragma once
// The valid word a typo most likely meant, for "unknown key (did you mean 'restart'?)" hints in
// the tproc.yaml manifest (bundle/) and the compose file (compose/).

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tproc {

/// A candidate a small edit away from `word`, or one a prefix of the other ("environment" → "env",
/// "entry" → "entrypoint"), compared without case; nothing when none is close.
std::optional<std::string_view> nearest_word(std::string_view word, std::span<const std::string_view> candidates);

/// "'a', 'b' or 'c'"
std::string one_of(std::span<const std::string_view> words);

}  // namespace tproc
