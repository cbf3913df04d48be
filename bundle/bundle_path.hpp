#pragma once
// The rules for names inside a bundle's layer, shared by the writer (which refuses to produce a
// bundle the reader would refuse) and the unpacker.
//
// A name is relative and never climbs: no leading '/', no ".." component. A symlink's target is
// relative, and has the form "../"*k followed by names only, with k at most the depth of the link's
// directory. That form is what makes the check sound without resolving other links: the leading
// ".." climb real directories (no entry may have a symlink among its parents), and every later
// step goes down into a child, which is a real directory or a link that obeys the same rule.
// A target such as "a/../b" is refused, because "a" could itself be a link that lands elsewhere.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::bundle {

/// The most bytes a layer entry name may have (PATH_MAX less its NUL).
inline constexpr size_t kMaxEntryPathBytes = 4095;
/// The most components a layer entry name may have: bounds the descriptors a walk holds open.
inline constexpr size_t kMaxEntryPathDepth = 256;

/// The components of a layer entry name, after dropping a leading "./" and any "." or empty
/// components. Refuses (EINVAL, the reason only) an absolute name, any ".." component, and names
/// past the limits above; the root itself ("./") gives no components.
Result<std::vector<std::string>> split_entry_path(std::string_view name);

/// The components joined by '/'.
std::string join_path(const std::vector<std::string>& components);

/// Checks the target of a symlink whose own path is `link`: refuses (EINVAL, the reason only) an
/// empty or absolute target, one that climbs above the bundle root, and ".." after a name.
Result<void> check_symlink_target(const std::vector<std::string>& link, std::string_view target);

}  // namespace tproc::bundle
