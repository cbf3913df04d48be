#pragma once
// Reading a manifest file (a bundle's tproc.yaml, a compose file) from a path a user gave: only a
// regular file, and only up to a size, so a FIFO, a device or a huge file named by mistake gets
// a one-line error instead of a hang or an exhausted memory.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tproc::yaml {

/// The bytes of the regular file at `path`, at most `max_bytes` of them (more: the text is cut
/// just past the limit, for the parser to refuse). Errors name `path`; `kind` names what it is
/// ("manifest is larger than 1 MiB").
Result<std::string> read_manifest_file(const std::string& path, size_t max_bytes, std::string_view kind);

}  // namespace tproc::yaml
