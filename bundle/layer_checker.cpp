#include "bundle/layer_checker.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "bundle/bundle_path.hpp"
#include "common/printable.hpp"

namespace tproc::bundle {

namespace {

Error refuse(std::string_view name, std::string_view reason) {
  return Error::explained("layer entry \"" + printable(name) + "\": " + std::string(reason), EINVAL);
}

std::string limit_text(uint64_t bytes) {
  if (bytes % (uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<LayerEntry> LayerChecker::check(struct archive_entry* header) {
  const char* raw_name = archive_entry_pathname(header);
  std::string name = raw_name != nullptr ? raw_name : "";
  if (++entries_ > limits_.max_entries)
    return refuse(name, "the layer has more than " + std::to_string(limits_.max_entries) + " entries (the limit)");

  auto components = split_entry_path(name);
  if (!components) return refuse(name, components.error().message());
  LayerEntry entry;
  entry.components = std::move(*components);
  entry.path = join_path(entry.components);

  mode_t mode = archive_entry_mode(header);
  const char* hardlink = archive_entry_hardlink(header);
  switch (archive_entry_filetype(header)) {
    case AE_IFREG: entry.type = hardlink != nullptr ? LayerEntry::Type::hardlink : LayerEntry::Type::file; break;
    case AE_IFDIR: entry.type = LayerEntry::Type::directory; break;
    case AE_IFLNK: entry.type = LayerEntry::Type::symlink; break;
    case AE_IFCHR:
    case AE_IFBLK: return refuse(name, "device node (a bundle holds only files, directories and links)");
    case AE_IFIFO: return refuse(name, "fifo (a bundle holds only files, directories and links)");
    case AE_IFSOCK: return refuse(name, "socket (a bundle holds only files, directories and links)");
    default:
      // libarchive reports a hardlink with no type of its own on some formats.
      if (hardlink == nullptr) return refuse(name, "entry of unknown type");
      entry.type = LayerEntry::Type::hardlink;
  }
  if (entry.type != LayerEntry::Type::symlink) {
    if (mode & S_ISUID) return refuse(name, "setuid bit set (refused, not stripped)");
    if (mode & S_ISGID) return refuse(name, "setgid bit set (refused, not stripped)");
  }
  // Group and other write bits are stripped: the cache is shared by every later run of this
  // user (root's too), and a file others may rewrite between two runs is a file they choose.
  entry.mode = mode & 0755;

  if (entry.components.empty()) {
    if (entry.type == LayerEntry::Type::directory) return entry;  // "./": the root, which we make
    return refuse(name, "names the bundle root");
  }

  // Every parent must be a real directory: an entry below a symlink would be written through it.
  std::string parent;
  for (size_t i = 0; i + 1 < entry.components.size(); ++i) {
    parent += parent.empty() ? entry.components[i] : "/" + entry.components[i];
    auto found = seen_.find(parent);
    if (found == seen_.end()) {
      seen_.emplace(parent, LayerEntry::Type::directory);  // implied: unpacking creates it
    } else if (found->second == LayerEntry::Type::symlink) {
      return refuse(name, "written through the symlink \"" + printable(parent) + "\"");
    } else if (found->second != LayerEntry::Type::directory) {
      return refuse(name, "its parent \"" + printable(parent) + "\" is not a directory");
    }
  }

  if (auto found = seen_.find(entry.path); found != seen_.end()) {
    bool both_directories = found->second == LayerEntry::Type::directory && entry.type == LayerEntry::Type::directory;
    if (!both_directories) return refuse(name, "duplicate entry (an earlier entry has the same path)");
  }

  if (entry.type == LayerEntry::Type::symlink) {
    const char* target = archive_entry_symlink(header);
    entry.link_target = target != nullptr ? target : "";
    auto checked = check_symlink_target(entry.components, entry.link_target);
    if (!checked) return refuse(name, checked.error().message());
  } else if (entry.type == LayerEntry::Type::hardlink) {
    auto target = split_entry_path(hardlink);
    if (!target) return refuse(name, "hardlink target \"" + printable(hardlink) + "\": " + target.error().message());
    entry.link_target = join_path(*target);
    auto found = seen_.find(entry.link_target);
    if (found == seen_.end() ||
        (found->second != LayerEntry::Type::file && found->second != LayerEntry::Type::hardlink))
      return refuse(name, "hardlink target \"" + printable(hardlink) + "\" is not an earlier file of the bundle");
  } else if (entry.type == LayerEntry::Type::file) {
    la_int64_t size = archive_entry_size_is_set(header) ? archive_entry_size(header) : 0;
    if (size < 0) return refuse(name, "negative size");
    entry.size = static_cast<uint64_t>(size);
    if (entry.size > limits_.max_total_bytes - std::min(declared_bytes_, limits_.max_total_bytes))
      return refuse(name, "the layer expands past " + limit_text(limits_.max_total_bytes) + " (the limit)");
    declared_bytes_ += entry.size;
  }
  seen_[entry.path] = entry.type;
  return entry;
}

Result<void> LayerChecker::count_content(const std::string& path, uint64_t bytes) {
  read_bytes_ += bytes;
  if (read_bytes_ > limits_.max_total_bytes)
    return refuse(path, "the layer expands past " + limit_text(limits_.max_total_bytes) + " (the limit)");
  return ok();
}

}  // namespace tproc::bundle
