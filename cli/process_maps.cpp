#include "cli/process_maps.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace tproc::cli {

Result<std::vector<MapsEntry>> read_maps(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/maps";
  std::ifstream maps(path);
  if (!maps) return Error::from_errno("open " + path);
  std::vector<MapsEntry> entries;
  for (std::string line; std::getline(maps, line);) {
    MapsEntry entry;
    char perms[8] = {}, device[16] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %15s %" SCNu64 " %n", &entry.begin, &entry.end,
                    perms, &entry.offset, device, &entry.inode, &path_at) < 6)
      return Error("unexpected line in " + path + ": " + line, EPROTO);
    entry.perms = perms;
    entry.device = device;
    if (path_at > 0) entry.path = line.substr(static_cast<size_t>(path_at));
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) return Error::explained(path + " is empty (the process has ended)", ESRCH);
  return entries;
}

std::vector<MapsEntry> owned_parts(const std::vector<MapsEntry>& entries, const std::vector<protocol::OwnedRange>& owned) {
  std::vector<MapsEntry> parts;
  for (const MapsEntry& entry : entries) {  // both lists ascend and neither overlaps itself
    for (const protocol::OwnedRange& range : owned) {
      if (range.end <= entry.begin || entry.end <= range.begin) continue;
      MapsEntry part = entry;
      part.begin = std::max(entry.begin, range.begin);
      part.end = std::min(entry.end, range.end);
      if (entry.inode != 0) part.offset = entry.offset + (part.begin - entry.begin);
      parts.push_back(std::move(part));
    }
  }
  return parts;
}

std::string maps_line(const MapsEntry& entry) {
  char head[160];
  const int length = std::snprintf(head, sizeof head, "%08" PRIx64 "-%08" PRIx64 " %s %08" PRIx64 " %s %" PRIu64 " ",
                                   entry.begin, entry.end, entry.perms.c_str(), entry.offset, entry.device.c_str(),
                                   entry.inode);
  std::string line(head, static_cast<size_t>(std::max(length, 0)));
  if (!entry.path.empty()) {
    if (line.size() < 73) line.append(73 - line.size(), ' ');  // the kernel's column for names
    line += entry.path;
  }
  return line;
}

}  // namespace tproc::cli
