#include "common/regular_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace tproc {

namespace {

Result<UniqueFd> checked_regular(UniqueFd fd) {
  if (!fd) return Error("", errno);  // "PATH: No such file or directory" once the caller names it
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error("", errno);
  if (S_ISDIR(st.st_mode)) return Error("is a directory", EISDIR);
  if (!S_ISREG(st.st_mode)) return Error("not a regular file", EACCES);
  return fd;
}

}  // namespace

Result<UniqueFd> open_regular_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, which would stall the
  // daemon's event loop and every client of the space. It has no effect on a regular file's reads.
  return checked_regular(UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)));
}

Result<UniqueFd> open_regular_file_in_root(int root, const std::string& path) {
  // RESOLVE_IN_ROOT: an absolute symlink in the tree (ld.so's usually is) resolves inside it, as
  // it will for the program once it runs there, and `..` never climbs out of it.
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return checked_regular(UniqueFd(static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof(how)))));
}

}  // namespace tproc
