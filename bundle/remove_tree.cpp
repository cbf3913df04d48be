#include "bundle/remove_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/unique_fd.hpp"

namespace tproc::bundle {

namespace {

// Empties the directory `name` in `parent` (depth-first, descriptors relative to their parent so a
// concurrent rename of an ancestor cannot redirect us), then removes it.
Result<void> remove_directory(int parent, const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && errno == EACCES) {
    // A directory the archive made unreadable: it is ours, so give it back to us. fchmodat follows
    // symlinks, which O_NOFOLLOW above already ruled out for this name a moment ago.
    if (::fchmodat(parent, name.c_str(), S_IRWXU, 0) == 0)
      fd.reset(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!fd) return Error::from_errno("remove " + path);
  ::fchmod(fd.get(), S_IRWXU);  // best effort: unlinking inside needs write permission

  // Read all names first: unlinking while readdir() walks the same stream may skip entries.
  std::vector<std::pair<std::string, bool>> children;
  {
    int listing_fd = ::dup(fd.get());
    if (listing_fd < 0) return Error::from_errno("remove " + path);
    DIR* listing = ::fdopendir(listing_fd);
    if (listing == nullptr) {
      ::close(listing_fd);
      return Error::from_errno("remove " + path);
    }
    errno = 0;
    while (dirent* entry = ::readdir(listing)) {
      std::string child = entry->d_name;
      if (child == "." || child == "..") continue;
      bool is_directory = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat status;
        is_directory = ::fstatat(fd.get(), child.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0 &&
                       S_ISDIR(status.st_mode);
      }
      children.emplace_back(std::move(child), is_directory);
    }
    int read_errno = errno;
    ::closedir(listing);
    if (read_errno != 0) return Error("remove " + path, read_errno);
  }

  for (const auto& [child, is_directory] : children) {
    if (is_directory) {
      TPROC_TRY(remove_directory(fd.get(), child, path + "/" + child));
    } else if (::unlinkat(fd.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::from_errno("remove " + path + "/" + child);
    }
  }
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return Error::from_errno("remove " + path);
  return ok();
}

}  // namespace

Result<void> remove_tree(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  std::string parent_path = slash == std::string::npos ? "." : (slash == 0 ? "/" : trimmed.substr(0, slash));
  std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") return Error("remove " + path + ": not a removable name", EINVAL);

  UniqueFd parent(::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("remove " + path);
  }
  struct stat status;
  if (::fstatat(parent.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("remove " + path);
  }
  if (!S_ISDIR(status.st_mode)) {
    if (::unlinkat(parent.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      return Error::from_errno("remove " + path);
    return ok();
  }
  return remove_directory(parent.get(), name, path);
}

}  // namespace tproc::bundle
