// tproc version: the version and the git commit this tproc was built from (also `tproc --version`,
// which the front door answers itself, from the same generated line).

#include <cstdio>

#include <tproc_version.h>

#include "cli/arguments.hpp"
#include "cli/command.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc version\n\n"
    "Print tproc's version and the git commit it was built from (also: tproc --version).\n";

Result<int> version(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!arguments.positional().empty()) return Error::explained("version takes no arguments (see 'tproc version --help')", EINVAL);
  std::fputs(TPROC_VERSION_LINE, stdout);
  return 0;
}

}  // namespace

const Command kVersionCommand{"version", "Show tproc's version and git commit", kUsage, version};

}  // namespace tproc::cli
