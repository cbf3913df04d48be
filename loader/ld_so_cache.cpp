#include "loader/ld_so_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "arch_traits.hpp"
#include "common/hex.hpp"
#include "common/unique_fd.hpp"

// The layouts, all little-endian on the hosts we run on (glibc's sysdeps/generic/dl-cache.h):
//
//   old format   "ld.so-1.7.0" (11) pad (1) nlibs:u32, then nlibs entries of
//                {flags:i32, key:u32, value:u32}; strings follow, offsets counted from the end of
//                the entries.
//   new format   "glibc-ld.so.cache1.1" (20) nlibs:u32 len_strings:u32 flags:u8 pad(3)
//                extension_offset:u32 unused:u32[3] (48 bytes in all), then nlibs entries of
//                {flags:i32, key:u32, value:u32, osversion:u32, hwcap:u64}; offsets counted from
//                the new header's first byte.
//   both         the old format, padded to 8 bytes, then the new format. ld.so then uses only the
//                new table, and so do we.
//
// key is the soname, value the path. Every field is memcpy'd out: the bytes carry no alignment.

namespace tproc::loader {
namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr uint64_t kOldHeaderSize = 16;
constexpr uint64_t kOldEntrySize = 12;
constexpr uint64_t kNewHeaderSize = 48;
constexpr uint64_t kNewEntrySize = 24;
constexpr uint64_t kNewAlignment = 8;
// Byte 28 of the new header: how the writer ordered its bytes (glibc 2.33 and later).
constexpr uint64_t kNewFlagsOffset = 28;
constexpr uint8_t kEndianMask = 3;
constexpr uint8_t kEndianInvalid = 1;
constexpr uint8_t kEndianBig = 3;
// Larger than any real cache; bounds what load() reads into memory.
constexpr uint64_t kMaxCacheSize = 64 << 20;

bool in_bounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

template <class T>
T read_at(std::span<const std::byte> bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

bool starts_with(std::span<const std::byte> bytes, uint64_t offset, std::string_view magic) {
  return in_bounds(offset, magic.size(), bytes.size()) &&
         std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

// Where one format's table is and how its strings are addressed.
struct Table {
  uint64_t entries = 0;       // offset of the first entry
  uint64_t count = 0;         // number of entries
  uint64_t entry_size = 0;
  uint64_t strings_base = 0;  // string offsets are counted from here
  bool has_hwcap = false;     // new-format entries carry a hardware-capability mask
};

Result<Table> old_table(std::span<const std::byte> bytes) {
  if (bytes.size() < kOldHeaderSize) {
    return Error("truncated: an old-format ld.so.cache header needs " + hex(kOldHeaderSize) +
                 " bytes, the cache has " + hex(bytes.size()));
  }
  Table table;
  table.entries = kOldHeaderSize;
  table.count = read_at<uint32_t>(bytes, 12);
  table.entry_size = kOldEntrySize;
  // count * 12 cannot overflow: count is 32 bits.
  if (!in_bounds(table.entries, table.count * kOldEntrySize, bytes.size())) {
    return Error("truncated: " + std::to_string(table.count) + " old-format entries need " +
                 hex(table.entries + table.count * kOldEntrySize) + " bytes, the cache has " +
                 hex(bytes.size()));
  }
  table.strings_base = table.entries + table.count * kOldEntrySize;
  return table;
}

Result<Table> new_table(std::span<const std::byte> bytes, uint64_t base) {
  if (!in_bounds(base, kNewHeaderSize, bytes.size())) {
    return Error("truncated: the ld.so.cache header at " + hex(base) + " needs " +
                 hex(kNewHeaderSize) + " bytes, the cache has " + hex(bytes.size()));
  }
  const uint8_t endian = read_at<uint8_t>(bytes, base + kNewFlagsOffset) & kEndianMask;
  if (endian == kEndianBig) return Error("big-endian ld.so.cache on a little-endian host");
  if (endian == kEndianInvalid) return Error("ld.so.cache marks its byte order as invalid");
  Table table;
  table.entries = base + kNewHeaderSize;
  table.count = read_at<uint32_t>(bytes, base + 20);
  table.entry_size = kNewEntrySize;
  table.strings_base = base;
  table.has_hwcap = true;
  if (!in_bounds(table.entries, table.count * kNewEntrySize, bytes.size())) {
    return Error("truncated: " + std::to_string(table.count) + " entries need " +
                 hex(table.entries + table.count * kNewEntrySize) + " bytes, the cache has " +
                 hex(bytes.size()));
  }
  return table;
}

// The table ld.so would use: the new one wherever it is, else the old one.
Result<Table> locate_table(std::span<const std::byte> bytes) {
  if (starts_with(bytes, 0, kNewMagic)) return new_table(bytes, 0);
  if (!starts_with(bytes, 0, kOldMagic)) return Error("not an ld.so.cache (bad magic)");
  const Table old = TPROC_TRY(old_table(bytes));
  const uint64_t aligned = (old.strings_base + kNewAlignment - 1) & ~(kNewAlignment - 1);
  if (starts_with(bytes, aligned, kNewMagic)) return new_table(bytes, aligned);
  return old;
}

Result<std::string> read_string(std::span<const std::byte> bytes, const Table& table,
                                uint64_t index, uint32_t offset, const char* what) {
  const uint64_t at = table.strings_base + offset;  // both below 2^33: no wrap
  if (at >= bytes.size()) {
    return Error("entry " + std::to_string(index) + ": " + what + " offset " + hex(offset) +
                 " outside the cache (" + hex(bytes.size()) + " bytes)");
  }
  const auto* text = reinterpret_cast<const char*>(bytes.data()) + at;
  const void* nul = std::memchr(text, '\0', bytes.size() - at);
  if (nul == nullptr) {
    return Error("entry " + std::to_string(index) + ": " + what + " at offset " + hex(offset) +
                 " is not NUL-terminated inside the cache");
  }
  return std::string(text, static_cast<const char*>(nul));
}

}  // namespace

Result<LdSoCache> LdSoCache::parse(std::span<const std::byte> bytes) {
  const Table table = TPROC_TRY(locate_table(bytes));
  LdSoCache cache;
  for (uint64_t index = 0; index < table.count; ++index) {
    const uint64_t entry = table.entries + index * table.entry_size;
    const auto flags = read_at<int32_t>(bytes, entry);
    const auto key = read_at<uint32_t>(bytes, entry + 4);
    const auto value = read_at<uint32_t>(bytes, entry + 8);
    // Every entry is checked, used or not: a cache with one bad offset is not to be trusted.
    std::string soname = TPROC_TRY(read_string(bytes, table, index, key, "soname"));
    std::string path = TPROC_TRY(read_string(bytes, table, index, value, "path"));
    if (flags != arch::kLdSoCacheFlags) continue;
    // A non-zero hwcap marks a variant for particular CPUs (glibc-hwcaps/x86-64-v3...). The
    // generic library is always listed too, and it is the one that runs on any machine.
    if (table.has_hwcap && read_at<uint64_t>(bytes, entry + 16) != 0) continue;
    cache.first_.try_emplace(soname, cache.entries_.size());
    cache.entries_.push_back({std::move(soname), std::move(path)});
  }
  return cache;
}

Result<LdSoCache> LdSoCache::load(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat " + path);
  if (!S_ISREG(st.st_mode)) return Error::explained(path + ": not a regular file", EINVAL);
  if (static_cast<uint64_t>(st.st_size) > kMaxCacheSize) {
    return Error::explained(
        path + ": " + std::to_string(st.st_size) + " bytes is too large for an ld.so.cache", EFBIG);
  }
  std::vector<std::byte> bytes(static_cast<size_t>(st.st_size));
  size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::read(fd.get(), bytes.data() + filled, bytes.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("read " + path);
    if (got == 0) break;  // the file shrank under us: parse what there is
    filled += static_cast<size_t>(got);
  }
  bytes.resize(filled);
  return TPROC_TRY_CTX(path, parse(bytes));
}

std::optional<std::string> LdSoCache::find(std::string_view soname) const {
  const auto found = first_.find(soname);
  if (found == first_.end()) return std::nullopt;
  return entries_[found->second].path;
}

}  // namespace tproc::loader
