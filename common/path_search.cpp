#include "common/path_search.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace tproc {

std::string find_on_path(const std::string& name, const char* search_path) {
  std::string_view dirs = search_path != nullptr ? search_path : "/usr/bin:/bin";
  while (true) {
    const size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    struct stat status {};
    if (::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

}  // namespace tproc
