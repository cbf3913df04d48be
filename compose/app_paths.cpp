#include "compose/app_paths.hpp"

#include <sys/stat.h>

namespace tproc::compose {
namespace {

Result<void> make_directories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) < 0 && errno != EEXIST) return Error::from_errno("mkdir " + prefix);
    if (slash == std::string::npos) return ok();
  }
}

}  // namespace

Result<void> AppPaths::prepare() const {
  TPROC_TRY(make_directories(bundles()));
  TPROC_TRY(make_directories(socket_directory()));
  return ok();
}

}  // namespace tproc::compose
