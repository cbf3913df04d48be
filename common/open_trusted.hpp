#pragma once
// common/trusted_directory.hpp's check as a Result, for the C++ side of tproc.

#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc {

/// Opens the directory `path` (an O_PATH fd) after checking it and every directory above it
/// (owned by us or root, not writable by others unless sticky, the last one ours and writable by
/// no one else, no symlinks: common/trusted_directory.hpp); with `create` the missing ones are
/// made, mode 0700. The error names the directory at fault and why; its code is ENOENT when the
/// directory does not exist, else EPERM.
Result<UniqueFd> open_trusted(const std::string& path, bool create);

}  // namespace tproc
