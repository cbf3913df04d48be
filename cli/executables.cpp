#include "cli/executables.hpp"

#include <unistd.h>

#include <climits>

namespace tproc::cli {
namespace {

constexpr std::string_view kLibexecDir = "/libexec/tproc";

/// The installation prefix: the parent of bin/ or of libexec/tproc/, whichever we run from.
Result<std::string> prefix() {
  char self[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length < 0) return Error::from_errno("readlink /proc/self/exe");
  std::string dir(self, static_cast<size_t>(length));
  dir.erase(dir.find_last_of('/'));
  if (dir.ends_with(kLibexecDir)) return dir.substr(0, dir.size() - kLibexecDir.size());
  return dir.substr(0, dir.find_last_of('/'));
}

}  // namespace

Result<std::string> full_cli_executable() { return TPROC_TRY(prefix()) + std::string(kLibexecDir) + "/tproc-cli"; }

Result<std::string> bundle_tool_executable() { return TPROC_TRY(prefix()) + std::string(kLibexecDir) + "/tproc-bundles"; }

}  // namespace tproc::cli
