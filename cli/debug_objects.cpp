#include "cli/debug_objects.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "arch_traits.hpp"
#include "cli/mapped_object.hpp"
#include "common/hex.hpp"
#include "common/unique_fd.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/elf_file.hpp"
#include "loader/file_image.hpp"

namespace tproc::cli {
namespace {

/// A path that opens the file `part` maps: its own if that is still the mapped file, else the
/// kernel's link to the mapping itself (the whole mapping's range, from `entries`).
std::string openable_path(pid_t pid, const MapsEntry& part, const std::vector<MapsEntry>& entries) {
  struct stat status {};
  if (!part.path.empty() && part.path[0] == '/' && stat(part.path.c_str(), &status) == 0 && is_mapped_file(status, part))
    return part.path;
  for (const MapsEntry& whole : entries)
    if (whole.begin <= part.begin && part.end <= whole.end) {
      char link[96];
      std::snprintf(link, sizeof link, "/proc/%d/map_files/%llx-%llx", static_cast<int>(pid),
                    static_cast<unsigned long long>(whole.begin), static_cast<unsigned long long>(whole.end));
      return link;
    }
  return part.path;
}

bool thread_library(const std::string& path) {
  const std::string name = path.substr(path.rfind('/') + 1);
  return name.starts_with("libc.so") || name.starts_with("libpthread.so");
}

}  // namespace

Result<DebugView> debug_view(pid_t pid, const std::vector<MapsEntry>& entries, const std::vector<MapsEntry>& owned) {
  DebugView view;
  std::vector<DebugObject> thread_libraries;
  for (const MapsEntry& part : owned) {
    if (part.perms.size() > 2 && part.perms[2] == 'x') {
      if (!view.code.empty() && view.code.back().end == part.begin)
        view.code.back().end = part.end;
      else
        view.code.push_back({part.begin, part.end});
    }
    if (part.offset != 0 || part.inode == 0) continue;
    // An object has its code mapped too; a file mapped only for its bytes is data.
    const bool has_code = std::any_of(owned.begin(), owned.end(), [&](const MapsEntry& other) {
      return other.inode == part.inode && other.device == part.device && other.perms.size() > 2 && other.perms[2] == 'x';
    });
    if (!has_code) continue;
    DebugObject object;
    object.path = openable_path(pid, part, entries);
    UniqueFd fd(open(object.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open " + object.path);
    loader::FileImage image = TPROC_TRY_CTX(object.path, loader::FileImage::read_whole(fd.get()));
    auto elf = loader::ElfFile::parse(image.bytes(), arch::kElfMachine);
    if (!elf) continue;  // not an object this machine runs: data mapped executable
    const std::optional<uint64_t> bias = load_bias(*elf, part);  // part is the object's offset-0 mapping
    if (!bias) continue;
    object.start = part.begin;
    object.bias = *bias;
    object.sections = TPROC_TRY_CTX(object.path, loader::allocated_sections(*elf));
    auto dynamic = loader::ElfDynamic::parse(*elf);
    object.program = !elf->position_independent() || (dynamic && (dynamic->flags_1() & DF_1_PIE));
    (thread_library(part.path) ? thread_libraries : view.objects).push_back(std::move(object));
  }
  for (DebugObject& object : thread_libraries) view.objects.push_back(std::move(object));
  return view;
}

}  // namespace tproc::cli
