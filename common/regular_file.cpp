#include "common/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace tproc {

Result<UniqueFd> open_regular_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, which would stall the
  // daemon's event loop and every client of the space. It has no effect on a regular file's reads.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return Error("", errno);  // "PATH: No such file or directory" once the caller names it
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error("", errno);
  if (S_ISDIR(st.st_mode)) return Error("is a directory", EISDIR);
  if (!S_ISREG(st.st_mode)) return Error("not a regular file", EACCES);
  return fd;
}

}  // namespace tproc
