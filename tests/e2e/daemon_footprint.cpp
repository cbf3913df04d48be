#include "daemon_footprint.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sandbox.hpp"

namespace tproc::e2e {
namespace {

/// Growth below this is the allocator's noise, not worth naming.
constexpr long kNotableGrowthKib = 64;

bool is_mapping_header(const std::string& line) {
  const size_t dash = line.find('-');
  return dash != std::string::npos && dash > 0 && line.find_first_not_of("0123456789abcdef") == dash;
}

std::vector<MappingUse> read_smaps(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/smaps";
  std::ifstream smaps(path);
  if (!smaps) throw std::runtime_error("cannot read " + path);
  std::vector<MappingUse> mappings;
  for (std::string line; std::getline(smaps, line);) {
    if (is_mapping_header(line)) {
      mappings.push_back({line, 0});
    } else if (line.rfind("Rss:", 0) == 0 && !mappings.empty()) {
      mappings.back().rss_kib = std::strtol(line.c_str() + 4, nullptr, 10);
    }
  }
  if (mappings.empty()) throw std::runtime_error("no mappings in " + path);
  return mappings;
}

}  // namespace

DaemonFootprint DaemonFootprint::of(pid_t daemon) {
  DaemonFootprint footprint;
  footprint.fds = open_fd_count(daemon);
  footprint.mappings = read_smaps(daemon);
  footprint.rss_kib = e2e::rss_kib(daemon);
  return footprint;
}

bool DaemonFootprint::within(const DaemonFootprint& baseline, FootprintTolerance tolerance) const {
  return fds <= baseline.fds && mappings.size() <= baseline.mappings.size() + tolerance.mappings &&
         rss_kib <= baseline.rss_kib + tolerance.rss_kib;
}

std::string DaemonFootprint::describe() const {
  std::ostringstream text;
  text << fds << " fds, " << mappings.size() << " mappings, VmRSS " << rss_kib << " KiB";
  return text.str();
}

std::string DaemonFootprint::changes_since(const DaemonFootprint& baseline) const {
  std::map<std::string, long> before;
  for (const MappingUse& mapping : baseline.mappings) before[mapping.header] = mapping.rss_kib;
  std::vector<std::pair<long, std::string>> changes;
  for (const MappingUse& mapping : mappings) {
    auto found = before.find(mapping.header);
    if (found == before.end()) {
      changes.emplace_back(mapping.rss_kib, "new " + mapping.header + " (" + std::to_string(mapping.rss_kib) + " KiB)");
    } else if (mapping.rss_kib - found->second >= kNotableGrowthKib) {
      const long growth = mapping.rss_kib - found->second;
      changes.emplace_back(growth, "grew by " + std::to_string(growth) + " KiB: " + mapping.header);
    }
  }
  if (changes.empty()) return "no mapping new or grown by " + std::to_string(kNotableGrowthKib) + " KiB";
  std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string text;
  for (const auto& [_, change] : changes) text += change + "\n";
  return text;
}

}  // namespace tproc::e2e
