#include "yaml/manifest_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc::yaml {

Result<std::string> read_manifest_file(const std::string& path, size_t max_bytes, std::string_view kind) {
  // O_NONBLOCK: a FIFO must fail the S_ISREG check, not hang the open.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return Error::from_errno(path);
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return Error::from_errno(path);
  if (!S_ISREG(status.st_mode)) return Error::explained(path + ": not a regular file", EINVAL);
  if (static_cast<uint64_t>(status.st_size) > max_bytes)
    return Error::explained(path + ": " + std::string(kind) + " is larger than " + std::to_string(max_bytes >> 20) + " MiB",
                            EFBIG);
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t count = ::read(fd.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return Error::from_errno(path);
    if (count == 0) break;
    text.append(buffer, static_cast<size_t>(count));
    if (text.size() > max_bytes) break;  // it grew after fstat: the parser refuses what is over
  }
  return text;
}

}  // namespace tproc::yaml
