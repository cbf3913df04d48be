#pragma once
// Opening a file that someone else named, without letting the name block or fool the opener.

#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc {

/// Opens `path` read-only, and only if it is a regular file. The open never blocks: a FIFO, a
/// socket or a device named by a client or a program header fails with "not a regular file"
/// (EACCES, as execve says) instead of waiting for a writer; a directory fails with EISDIR.
/// Errors carry errno and name nothing: callers add the path as context.
Result<UniqueFd> open_regular_file(const std::string& path);
/// Opens `path` as if the directory `root` were "/": symlinks and `..` never leave it.
Result<UniqueFd> open_regular_file_in_root(int root, const std::string& path);

}  // namespace tproc
