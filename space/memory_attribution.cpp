#include "space/memory_attribution.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/unique_fd.hpp"

namespace tproc::space {
namespace {

/// One VMA of smaps: its range and its Rss.
struct Vma {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t rss = 0;
};

/// Every VMA of /proc/self/smaps with its Rss, in address order.
Result<std::vector<Vma>> read_smaps() {
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (!smaps) return Error::from_errno("open /proc/self/smaps");
  std::vector<Vma> vmas;
  char line[512];
  while (std::fgets(line, sizeof(line), smaps)) {
    unsigned long long begin = 0, end = 0, kib = 0;
    if (std::sscanf(line, "%llx-%llx ", &begin, &end) == 2 && std::strchr(line, '-') < std::strchr(line, ' ')) {
      vmas.push_back({begin, end, 0});
    } else if (!vmas.empty() && std::sscanf(line, "Rss: %llu kB", &kib) == 1) {
      vmas.back().rss = kib * 1024;
    }
    // A line longer than the buffer (a long path) continues on the next read: it starts with
    // neither a range nor "Rss:", so it is skipped.
  }
  std::fclose(smaps);
  return vmas;
}

/// The resident bytes of [begin, end) from pagemap's present bit (bit 63), read in batches.
uint64_t present_bytes(int pagemap, uint64_t begin, uint64_t end, uint64_t page) {
  uint64_t present = 0;
  uint64_t entries[512];
  for (uint64_t at = begin; at < end;) {
    const uint64_t count = std::min<uint64_t>((end - at) / page, 512);
    const ssize_t got = ::pread(pagemap, entries, count * sizeof(uint64_t), static_cast<off_t>(at / page * sizeof(uint64_t)));
    if (got <= 0) break;
    for (ssize_t i = 0; i < got / static_cast<ssize_t>(sizeof(uint64_t)); ++i)
      if (entries[i] >> 63) present += page;
    at += static_cast<uint64_t>(got) / sizeof(uint64_t) * page;
  }
  return present;
}

}  // namespace

Result<MemoryReport> attribute_memory(std::vector<MemoryClaim> claims) {
  std::sort(claims.begin(), claims.end(), [](const MemoryClaim& a, const MemoryClaim& b) { return a.begin < b.begin; });
  const std::vector<Vma> vmas = TPROC_TRY(read_smaps());
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  UniqueFd pagemap;  // opened at the first VMA that several owners share

  MemoryReport report;
  report.owners[kDaemonOwner];
  size_t first = 0;  // the first claim that may still reach the current VMA
  for (const Vma& vma : vmas) {
    report.rss += vma.rss;
    while (first < claims.size() && claims[first].end <= vma.begin) ++first;
    // The claims that overlap this VMA, clipped to it.
    std::vector<MemoryClaim> parts;
    for (size_t i = first; i < claims.size() && claims[i].begin < vma.end; ++i)
      parts.push_back({std::max(claims[i].begin, vma.begin), std::min(claims[i].end, vma.end), claims[i].owner});
    uint64_t claimed = 0;
    for (const MemoryClaim& part : parts) {
      report.owners[part.owner].mapped += part.end - part.begin;
      claimed += part.end - part.begin;
    }
    if (parts.size() == 1 && claimed == vma.end - vma.begin) {
      report.owners[parts[0].owner].rss += vma.rss;
      continue;
    }
    if (parts.empty() || vma.rss == 0) {
      report.owners[kDaemonOwner].rss += vma.rss;
      report.owners[kDaemonOwner].mapped += vma.end - vma.begin - claimed;
      continue;
    }
    if (!pagemap) pagemap.reset(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!pagemap) return Error::from_errno("open /proc/self/pagemap");
    uint64_t given = 0;
    for (const MemoryClaim& part : parts) {
      const uint64_t resident = std::min(present_bytes(pagemap.get(), part.begin, part.end, page), vma.rss - given);
      report.owners[part.owner].rss += resident;
      given += resident;
    }
    report.owners[kDaemonOwner].rss += vma.rss - given;
    report.owners[kDaemonOwner].mapped += vma.end - vma.begin - claimed;
  }
  return report;
}

uint64_t resident_bytes() {
  FILE* statm = std::fopen("/proc/self/statm", "re");
  if (!statm) return 0;
  unsigned long long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%llu %llu", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace tproc::space
