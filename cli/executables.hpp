#pragma once
// Where tproc's executables are: the front door `tproc` in bin/ (cli/front/), the full CLI and
// the bundle tool (cli/bundle_tool.hpp) in libexec/tproc/, found from this process's own path —
// the same layout in the build tree and in an installation, so none needs PATH.

#include <string>

#include "common/result.hpp"

namespace tproc::cli {

/// libexec/tproc/tproc-cli: the full CLI, and the space daemon (`tproc daemon`).
Result<std::string> full_cli_executable();

/// libexec/tproc/tproc-bundles: the commands that need the bundle libraries.
Result<std::string> bundle_tool_executable();

}  // namespace tproc::cli
