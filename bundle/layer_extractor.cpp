#include "bundle/layer_extractor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "bundle/bundle_path.hpp"
#include "common/printable.hpp"

namespace tproc::bundle {

namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

Error failed(const LayerEntry& entry, std::string_view what) {
  return Error::from_errno("layer entry \"" + printable(entry.path) + "\": " + std::string(what));
}

}  // namespace

Result<LayerExtractor> LayerExtractor::open(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), kDirectoryFlags));
  if (!fd) return Error::from_errno("open " + root);
  return LayerExtractor(std::move(fd));
}

Result<UniqueFd> LayerExtractor::open_directory(const std::vector<std::string>& components, size_t count,
                                                bool create) {
  UniqueFd current(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
  if (!current) return Error::from_errno("dup");
  std::vector<std::string> path;
  for (size_t i = 0; i < count; ++i) {
    const std::string& name = components[i];
    path.push_back(name);
    UniqueFd next(::openat(current.get(), name.c_str(), kDirectoryFlags));
    if (!next && errno == ENOENT && create) {
      if (::mkdirat(current.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
        return Error::from_errno("create directory \"" + printable(join_path(path)) + "\"");
      directory_modes_.emplace_back(path, 0755);
      next.reset(::openat(current.get(), name.c_str(), kDirectoryFlags));
    }
    // ELOOP or ENOTDIR here means a symlink or a file where a directory should be: the checker
    // refuses that first, so this is the kernel backing it up.
    if (!next) return Error::from_errno("open directory \"" + printable(join_path(path)) + "\"");
    current = std::move(next);
  }
  return current;
}

Result<void> LayerExtractor::make_directory(const LayerEntry& entry) {
  if (entry.components.empty()) return ok();  // the root: finish() sets its mode
  UniqueFd parent = TPROC_TRY(open_parent(entry.components));
  const std::string& name = entry.components.back();
  if (::mkdirat(parent.get(), name.c_str(), 0700) != 0) {
    if (errno != EEXIST) return failed(entry, "mkdir");
    struct stat status;
    if (::fstatat(parent.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(status.st_mode))
      return Error::explained("layer entry \"" + printable(entry.path) + "\": exists and is not a directory", EEXIST);
  }
  directory_modes_.emplace_back(entry.components, entry.mode);
  return ok();
}

Result<UniqueFd> LayerExtractor::make_file(const LayerEntry& entry) {
  UniqueFd parent = TPROC_TRY(open_parent(entry.components));
  UniqueFd file(::openat(parent.get(), entry.components.back().c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) return failed(entry, "create");
  return file;
}

Result<void> LayerExtractor::finish_file(const UniqueFd& file, const LayerEntry& entry) {
  if (::fchmod(file.get(), entry.mode) != 0) return failed(entry, "chmod");
  return ok();
}

Result<void> LayerExtractor::make_symlink(const LayerEntry& entry) {
  UniqueFd parent = TPROC_TRY(open_parent(entry.components));
  if (::symlinkat(entry.link_target.c_str(), parent.get(), entry.components.back().c_str()) != 0)
    return failed(entry, "symlink");
  return ok();
}

Result<void> LayerExtractor::make_hardlink(const LayerEntry& entry) {
  std::vector<std::string> target = TPROC_TRY(split_entry_path(entry.link_target));
  if (target.empty()) return Error::explained("layer entry \"" + printable(entry.path) + "\": hardlink to the root", EINVAL);
  UniqueFd target_parent = TPROC_TRY(open_parent(target));
  UniqueFd parent = TPROC_TRY(open_parent(entry.components));
  // Flags 0: link the entry itself, never what a symlink of that name would point to.
  if (::linkat(target_parent.get(), target.back().c_str(), parent.get(), entry.components.back().c_str(), 0) != 0)
    return failed(entry, "link to \"" + printable(entry.link_target) + "\"");
  return ok();
}

Result<void> LayerExtractor::finish(mode_t root_mode) {
  // Deepest first: a parent made read-only or unsearchable must not hide its children from us.
  std::stable_sort(directory_modes_.begin(), directory_modes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [components, mode] : directory_modes_) {
    UniqueFd directory = TPROC_TRY(open_directory(components, components.size(), false));
    if (::fchmod(directory.get(), mode) != 0)
      return Error::from_errno("chmod directory \"" + printable(join_path(components)) + "\"");
  }
  if (::fchmod(root_.get(), root_mode) != 0) return Error::from_errno("chmod the bundle root");
  return ok();
}

}  // namespace tproc::bundle
