#pragma once
// `tproc run --env-file FILE` and `-e KEY`, as docker reads them: one KEY=VALUE per line, taken
// literally (no quotes, no expansion); blank lines and lines starting with # skipped; a bare KEY
// takes the caller's value, and is dropped when the caller has none.

#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::cli {

/// "KEY=VALUE" as given, "KEY" as KEY=<the caller's value>, or nothing when the caller has no KEY.
/// An empty KEY, or one with '=' first, is an error naming `assignment`.
Result<std::vector<std::string>> resolve_assignment(const std::string& assignment);

/// The assignments in FILE, resolved as above, in order. FILE must be a regular file of at most
/// 1 MiB (a FIFO or a device is refused, never read); errors read "FILE:LINE: ...".
Result<std::vector<std::string>> read_env_file(const std::string& path);

}  // namespace tproc::cli
