#include "cli/bundle_tool.hpp"

#include <unistd.h>

#include <vector>

#include "cli/executables.hpp"

namespace tproc::cli {

Result<int> exec_bundle_tool(const char* verb, std::span<char* const> args) {
  const std::string tool = TPROC_TRY(bundle_tool_executable());
  std::vector<char*> argv{const_cast<char*>("tproc"), const_cast<char*>(verb)};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(nullptr);
  ::execv(tool.c_str(), argv.data());
  return Error::from_errno("cannot start the bundle tool " + tool);
}

}  // namespace tproc::cli
