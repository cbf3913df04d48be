#pragma once
// FileImage: a private copy of the parts of an ELF file the loader reads, so that nobody can
// change them, or fault the daemon, while it reads them.
//
// Reading a file through a mapping of it is not safe in the daemon: a file truncated (or rewritten
// with O_TRUNC) while it is mapped turns the next read of a page past its new end into SIGBUS, and
// the whole daemon dies (execve avoids this by refusing writers with ETXTBSY; there is no way to do
// the same from user space). So the loader reads through this copy: an anonymous mapping as large
// as the file, into which pread(2) copies the bytes ElfFile and ElfDynamic look at. pread into the
// daemon's own memory cannot fault on the file: a file that shrank reads short, and the rest stays
// zero, which the parsers then judge like any other bad file.
//
// Why not copy the whole file: measured on this (busy, shared) machine, pread of all of python3's
// 6.8 MB took 42 ms against 0.36 ms for mapping it and touching two pages; /bin/true's 35 KB took
// 0.39 ms against 0.14 ms. What ElfFile and ElfDynamic read is a few pages -- the header, the
// program header table, the PT_INTERP path, PT_DYNAMIC and the string table it names -- so only
// those are copied; pages never copied are never touched. (Denying writes the way execve does is
// not open to user space: MAP_DENYWRITE has been ignored since Linux 5.15.)

#include <sys/stat.h>

#include <cstddef>
#include <span>

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::loader {

class FileImage {
 public:
  /// Copies, from the regular file open at `fd`, what ElfFile::parse and ElfDynamic::parse read.
  /// Errors: "is a directory" (EISDIR), "not a regular file" (EACCES), "empty file" (ENOEXEC).
  static Result<FileImage> read_headers(int fd);

  /// Copies the whole file (the symbol tables, for endpoints that name symbols: rare, and the
  /// file is read once). Same errors as read_headers.
  static Result<FileImage> read_whole(int fd);

  /// The file's bytes as copied: zeros where nothing was copied, or where the file ended early.
  std::span<const std::byte> bytes() const { return {copy_.bytes(), copy_.size()}; }

  /// The file's status when the copy was made.
  const struct stat& status() const { return status_; }

 private:
  FileImage() = default;
  static Result<FileImage> allocate(int fd);
  /// Copies [offset, offset + length) of the file, clamped to its size.
  Result<void> copy(int fd, uint64_t offset, uint64_t length);

  Mapping copy_;
  struct stat status_ {};
};

}  // namespace tproc::loader
