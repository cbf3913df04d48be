#pragma once
// remove_tree: `rm -rf` for trees tproc made itself (the cache, a partial unpack), without
// following symlinks and without being stopped by a directory an archive made read-only.

#include <string>

#include "common/result.hpp"

namespace tproc::bundle {

/// Removes `path` and, if it is a directory, everything below it. Symlinks are removed, never
/// followed. A path that does not exist is not an error.
Result<void> remove_tree(const std::string& path);

}  // namespace tproc::bundle
