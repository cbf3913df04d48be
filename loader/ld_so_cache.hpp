#pragma once
// LdSoCache: the soname -> path table ldconfig writes to /etc/ld.so.cache, as ld.so reads it.
//
// Invariant: an LdSoCache that exists was parsed from bytes whose headers, entry tables and every
// string offset lay inside the bytes, each string NUL-terminated. It holds only the entries ld.so
// would use on this machine (this architecture's flags, no hardware-capability variant), in the
// cache's order, because ld.so takes the first entry that matches.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::loader {

/// One library the cache knows: the name ld.so looks up and the file it opens for it.
struct LdSoCacheEntry {
  std::string soname;
  std::string path;
};

/// A parsed /etc/ld.so.cache (glibc's "glibc-ld.so.cache1.1" format, with or without the old
/// "ld.so-1.7.0" table in front of it, or the old format alone).
class LdSoCache {
 public:
  /// Validates `bytes` (the whole cache file). Errors name the offending value, e.g.
  /// "entry 3: path offset 0x9000 outside the cache (0x4000 bytes)".
  static Result<LdSoCache> parse(std::span<const std::byte> bytes);

  /// Reads and parses the cache at `path`.
  static Result<LdSoCache> load(const std::string& path = "/etc/ld.so.cache");

  /// The path of the first entry for `soname`, as ld.so would pick it.
  std::optional<std::string> find(std::string_view soname) const;

  /// The usable entries, in the cache's order.
  const std::vector<LdSoCacheEntry>& entries() const { return entries_; }

 private:
  LdSoCache() = default;

  std::vector<LdSoCacheEntry> entries_;
  // soname -> index of its first entry in entries_.
  std::map<std::string, size_t, std::less<>> first_;
};

}  // namespace tproc::loader
