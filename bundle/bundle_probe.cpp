#include "bundle/bundle_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc::bundle {

bool looks_like_bundle(const std::string& path) {
  // A bundle is a tar archive: "ustar" at offset 257 of its first header. An ELF starts with 0x7f.
  constexpr off_t kMagicOffset = 257;
  char magic[5] = {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd && ::pread(fd.get(), magic, sizeof(magic), kMagicOffset) == sizeof(magic) &&
         std::string(magic, sizeof(magic)) == "ustar";
}

}  // namespace tproc::bundle
