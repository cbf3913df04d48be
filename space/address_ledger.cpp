#include "space/address_ledger.hpp"

namespace tproc::space {

void AddressLedger::release(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  // Start from the range that may straddle `begin`.
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) --it;
  while (it != ranges_.end() && it->first < end) {
    const uint64_t range_begin = it->first;
    const Entry entry = it->second;
    if (entry.end <= begin) {
      ++it;
      continue;
    }
    it = ranges_.erase(it);
    const uint64_t kept_begin = range_begin < begin ? begin : range_begin;
    const uint64_t kept_end = entry.end > end ? end : entry.end;
    bytes_[entry.owner] -= kept_end - kept_begin;
    if (range_begin < begin) ranges_.emplace(range_begin, Entry{begin, entry.owner});
    if (entry.end > end) it = ranges_.emplace(end, Entry{entry.end, entry.owner}).first;
  }
}

void AddressLedger::assign(uint64_t begin, uint64_t end, uint64_t owner) {
  if (begin >= end) return;
  release(begin, end);
  ranges_.emplace(begin, Entry{end, owner});
  bytes_[owner] += end - begin;
}

bool AddressLedger::holds(uint64_t begin, uint64_t end, uint64_t owner) const {
  auto it = ranges_.upper_bound(begin);
  if (it == ranges_.begin()) return begin >= end;
  --it;  // the range that starts at or below `begin`
  while (begin < end) {
    if (it == ranges_.end() || it->first > begin || it->second.end <= begin || it->second.owner != owner) return false;
    begin = it->second.end;
    ++it;
  }
  return true;
}

uint64_t AddressLedger::bytes_of(uint64_t owner) const {
  auto found = bytes_.find(owner);
  return found == bytes_.end() ? 0 : found->second;
}

std::vector<AddressLedger::Range> AddressLedger::ranges_of(uint64_t owner) const {
  std::vector<Range> owned;
  for (const auto& [begin, entry] : ranges_) {
    if (entry.owner != owner) continue;
    if (!owned.empty() && owned.back().second == begin) {
      owned.back().second = entry.end;
    } else {
      owned.emplace_back(begin, entry.end);
    }
  }
  return owned;
}

std::vector<AddressLedger::Range> AddressLedger::take(uint64_t owner) {
  std::vector<Range> owned = ranges_of(owner);
  std::erase_if(ranges_, [owner](const auto& item) { return item.second.owner == owner; });
  bytes_.erase(owner);
  return owned;
}

}  // namespace tproc::space
