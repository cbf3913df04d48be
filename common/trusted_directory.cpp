#include "common/trusted_directory.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc {
namespace {

int refuse(DistrustReason& why, const char* path, size_t length, int code, const char* format, unsigned long value = 0) {
  snprintf(why.path, sizeof(why.path), "%.*s", static_cast<int>(length), path);
  snprintf(why.what, sizeof(why.what), format, value);
  why.code = code;
  errno = code;
  return -1;
}

/// Whether a directory on the way (not the last one) may lead to ours: others can neither
/// replace nor rename what it holds.
const char* ancestor_fault(const struct stat& st, uid_t user) {
  if (st.st_uid != user && st.st_uid != 0) return "is owned by uid %lu (neither you nor root)";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
    return "is writable by others (mode %04lo) and not sticky";
  return nullptr;
}

/// Whether the directory itself is private enough: ours, and only we write to it.
const char* own_fault(const struct stat& st, uid_t user) {
  if (st.st_uid != user) return "is owned by uid %lu, not you";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "is writable by others (mode %04lo)";
  return nullptr;
}

}  // namespace

int open_trusted_directory(const char* path, uid_t user, bool create, DistrustReason& why) {
  char absolute[PATH_MAX];
  if (path[0] == '/') {
    if (snprintf(absolute, sizeof(absolute), "%s", path) >= static_cast<int>(sizeof(absolute)))
      return refuse(why, path, strlen(path), ENAMETOOLONG, "is too long");
  } else {
    char here[PATH_MAX];
    if (!getcwd(here, sizeof(here))) return refuse(why, path, strlen(path), errno, "cannot be made absolute");
    if (snprintf(absolute, sizeof(absolute), "%s/%s", here, path) >= static_cast<int>(sizeof(absolute)))
      return refuse(why, path, strlen(path), ENAMETOOLONG, "is too long");
  }

  UniqueFd current(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!current) return refuse(why, "/", 1, errno, "cannot be opened");
  struct stat st {};
  if (fstat(current.get(), &st) < 0) return refuse(why, "/", 1, errno, "cannot be examined");

  const size_t total = strlen(absolute);
  size_t start = 0;
  for (;;) {
    while (absolute[start] == '/') ++start;
    if (absolute[start] == '\0') break;
    size_t end = start;
    while (absolute[end] != '\0' && absolute[end] != '/') ++end;
    // The directory we are in leads to the next component: it must keep others out.
    if (const char* fault = ancestor_fault(st, user))
      return refuse(why, absolute, start > 1 ? start - 1 : 1, EPERM, fault,
                    st.st_uid != user && st.st_uid != 0 ? st.st_uid : st.st_mode & 07777);
    char name[NAME_MAX + 1];
    const size_t length = end - start;
    if (length > NAME_MAX) return refuse(why, absolute, end, ENAMETOOLONG, "has a component that is too long");
    memcpy(name, absolute + start, length);
    name[length] = '\0';
    UniqueFd next(openat(current.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next && errno == ENOENT && create) {  // made only when missing: most walks find all there
      if (mkdirat(current.get(), name, 0700) < 0 && errno != EEXIST)
        return refuse(why, absolute, end, errno, "cannot be created");
      next.reset(openat(current.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!next) {
      const int error = errno;
      struct stat link {};
      if (fstatat(current.get(), name, &link, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(link.st_mode))
        return refuse(why, absolute, end, ELOOP, "is a symlink (tproc follows none on its way to its own directories)");
      if (error == ENOTDIR) return refuse(why, absolute, end, ENOTDIR, "is not a directory");
      return refuse(why, absolute, end, error, "cannot be opened");
    }
    if (fstat(next.get(), &st) < 0) return refuse(why, absolute, end, errno, "cannot be examined");
    current = static_cast<UniqueFd&&>(next);
    start = end;
  }
  if (const char* fault = own_fault(st, user))
    return refuse(why, absolute, total, EPERM, fault, st.st_uid != user ? st.st_uid : st.st_mode & 07777);
  return current.release();
}

bool path_in_directory(int dir, const char* name, char* out, unsigned long size) {
  const int length = snprintf(out, size, "/proc/self/fd/%d/%s", dir, name);
  return length > 0 && static_cast<unsigned long>(length) < size;
}

}  // namespace tproc
