#include "space/protected_ranges.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace tproc::space {

std::optional<ProtectedRanges::Range> parse_maps_line(const std::string& line, uint64_t* inode) {
  // "begin-end perms offset dev inode   path"
  uint64_t begin = 0, end = 0, offset = 0, node = 0;
  char perms[8] = {}, device[16] = {};
  int path_at = 0;
  if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %15s %" SCNu64 " %n", &begin, &end, perms, &offset,
                  device, &node, &path_at) < 6)
    return std::nullopt;
  if (inode) *inode = node;
  ProtectedRanges::Range range{begin, end, path_at > 0 ? line.substr(static_cast<size_t>(path_at)) : std::string()};
  while (!range.what.empty() && (range.what.back() == '\n' || range.what.back() == ' ')) range.what.pop_back();
  return range;
}

Result<ProtectedRanges> ProtectedRanges::of_this_process() {
  struct stat exe {};
  if (::stat("/proc/self/exe", &exe) < 0) return Error::from_errno("stat /proc/self/exe");
  std::ifstream maps("/proc/self/maps");
  if (!maps) return Error::from_errno("open /proc/self/maps");
  ProtectedRanges ranges;
  for (std::string line; std::getline(maps, line);) {
    uint64_t inode = 0;
    auto range = parse_maps_line(line, &inode);
    if (!range) continue;
    const bool special = range->what == "[vdso]" || range->what == "[vvar]" || range->what == "[vvar_vclock]" ||
                         range->what == "[stack]";
    const bool own_image = inode != 0 && inode == exe.st_ino && !range->what.empty();
    if (special) ranges.add(range->begin, range->end, range->what, true);
    if (own_image) ranges.add(range->begin, range->end, "the daemon's executable", true);
  }
  if (!std::any_of(ranges.ranges_.begin(), ranges.ranges_.end(), [](const Range& r) { return r.what == "[stack]"; }))
    return Error("no [stack] in /proc/self/maps", ENOENT);
  return ranges;
}

void ProtectedRanges::add(uint64_t begin, uint64_t end, std::string what, bool mprotect_too) {
  ranges_.push_back({begin, end, std::move(what), mprotect_too});
}

const ProtectedRanges::Range* ProtectedRanges::overlapping(uint64_t begin, uint64_t end) const {
  if (end <= begin) end = UINT64_MAX;
  for (const Range& range : ranges_)
    if (begin < range.end && range.begin < end) return &range;
  return nullptr;
}

std::vector<runtime::GuardedRange> ProtectedRanges::mprotect_guarded() const {
  std::vector<runtime::GuardedRange> guarded;
  std::vector<std::string> names;
  for (const Range& range : ranges_) {
    if (!range.mprotect_too || range.end <= range.begin) continue;
    // The vDSO and vvar pages sit side by side, the image's segments too: one span each.
    size_t i = 0;
    while (i < guarded.size() && !(names[i] == range.what || guarded[i].end == range.begin || range.end == guarded[i].begin)) ++i;
    if (i == guarded.size()) {
      guarded.push_back({range.begin, range.end});
      names.push_back(range.what);
    } else {
      guarded[i].begin = std::min(guarded[i].begin, range.begin);
      guarded[i].end = std::max(guarded[i].end, range.end);
    }
  }
  return guarded;
}

}  // namespace tproc::space
