#include "common/open_trusted.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/trusted_directory.hpp"

namespace tproc {

Result<UniqueFd> open_trusted(const std::string& path, bool create) {
  DistrustReason why;
  UniqueFd dir(open_trusted_directory(path.c_str(), ::geteuid(), create, why));
  if (dir) return dir;
  const std::string at = why.path == path ? "" : " (" + std::string(why.path) + ")";
  // ENOENT travels as it is (no daemon yet, nothing to list); anything else is tproc refusing
  // its own directory, exit status 125, never 126 "cannot execute" for an EACCES on the way.
  if (why.code == ENOENT) return Error(path + at + " " + why.what, why.code);
  if (why.code == EPERM || why.code == ELOOP || why.code == ENOTDIR)
    return Error::explained(path + at + " " + why.what + ": refusing to use it", EPERM);
  return Error::explained(path + at + " " + why.what + ": " + std::strerror(why.code), EPERM);
}

}  // namespace tproc
