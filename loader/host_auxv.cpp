#include "loader/host_auxv.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc::loader {

Result<HostAuxv> HostAuxv::read_self() {
  UniqueFd fd(::open("/proc/self/auxv", O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open /proc/self/auxv");
  std::vector<uint64_t> words(512);
  size_t filled = 0;
  while (filled < words.size() * sizeof(uint64_t)) {
    ssize_t got = ::read(fd.get(), reinterpret_cast<char*>(words.data()) + filled,
                         words.size() * sizeof(uint64_t) - filled);
    if (got < 0) return Error::from_errno("read /proc/self/auxv");
    if (got == 0) break;
    filled += static_cast<size_t>(got);
  }
  HostAuxv auxv;
  for (size_t i = 0; i + 1 < filled / sizeof(uint64_t); i += 2) {
    uint64_t type = words[i], value = words[i + 1];
    if (type == AT_NULL) break;
    // The strings live on the daemon's initial stack; copy them so tprocs get their own.
    if (type == AT_PLATFORM && value) auxv.platform_ = reinterpret_cast<const char*>(value);
    if (type == AT_BASE_PLATFORM && value) auxv.base_platform_ = reinterpret_cast<const char*>(value);
    auxv.entries_.emplace_back(type, value);
  }
  return auxv;
}

}  // namespace tproc::loader
