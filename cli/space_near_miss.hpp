#pragma once
// A typo'd space name must not silently start a second daemon (issue 16): `tproc run Demo ...`
// while `demo` runs is far more often a slip than a wish for a new space.

#include <optional>
#include <string>
#include <vector>

namespace tproc::cli {

/// The existing space `typed` most likely meant, or nothing. A space is meant when it differs
/// from `typed` only in case, or (both names at least 4 characters long) by one edit -- a letter
/// inserted, dropped, replaced, or two neighbours swapped -- that involves no digit: `web1` next
/// to `web2` or `web10` is numbering, not a typo. `typed` itself in `existing` means nothing.
std::optional<std::string> space_near_miss(const std::string& typed, const std::vector<std::string>& existing);

}  // namespace tproc::cli
