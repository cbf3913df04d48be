#pragma once
// Where tproc's two executables are: `tproc` in bin/ and the bundle tool in libexec/tproc/
// (cli/bundle_tool.hpp), found from this process's own path — the same layout in the build tree
// and in an installation, so neither needs PATH.

#include <string>

#include "common/result.hpp"

namespace tproc::cli {

/// bin/tproc: the CLI, and the space daemon (`tproc daemon`).
Result<std::string> tproc_executable();

/// libexec/tproc/tproc-bundles: the commands that need the bundle libraries.
Result<std::string> bundle_tool_executable();

}  // namespace tproc::cli
