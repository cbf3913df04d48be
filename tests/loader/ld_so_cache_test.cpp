// Specification of LdSoCache: it reads the host's /etc/ld.so.cache as ld.so does (first match,
// this architecture only), handles the three layouts glibc has written, and refuses bytes it cannot
// trust without reading outside them.

#include "loader/ld_so_cache.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch_traits.hpp"

namespace {

using tproc::Result;
using tproc::arch::kLdSoCacheFlags;
using tproc::loader::LdSoCache;

// Another ABI's flags, whichever host this is.
constexpr int32_t kForeignFlags = kLdSoCacheFlags == 0x0303 ? 0x0a03 : 0x0303;
constexpr uint8_t kLittleEndian = 2;
constexpr uint8_t kBigEndian = 3;

struct Entry {
  int32_t flags = kLdSoCacheFlags;
  std::string soname;
  std::string path;
  uint64_t hwcap = 0;
};

class Bytes {
 public:
  void put(const void* data, size_t size) {
    const auto* begin = static_cast<const std::byte*>(data);
    bytes_.insert(bytes_.end(), begin, begin + size);
  }
  template <class T>
  void put_value(T value) { put(&value, sizeof value); }
  void put_text(const std::string& text) { put(text.data(), text.size()); }
  void pad_to(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(std::byte{0});
  }
  size_t size() const { return bytes_.size(); }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

// A string table whose offsets count from `base_distance` bytes before its first byte.
struct Strings {
  std::string text;
  uint32_t add(const std::string& value, uint64_t base_distance) {
    const auto offset = static_cast<uint32_t>(base_distance + text.size());
    text += value;
    text += '\0';
    return offset;
  }
};

// glibc-ld.so.cache1.1 alone: header, entries, then strings counted from the header.
std::vector<std::byte> new_format(const std::vector<Entry>& entries,
                                  uint8_t endian = kLittleEndian) {
  const uint64_t strings_at = 48 + 24 * entries.size();
  Strings strings;
  Bytes out;
  out.put_text("glibc-ld.so.cache1.1");
  out.put_value<uint32_t>(static_cast<uint32_t>(entries.size()));
  const size_t len_strings_at = out.size();
  out.put_value<uint32_t>(0);
  out.put_value<uint8_t>(endian);
  out.put_text(std::string(3, '\0'));
  out.put_value<uint32_t>(0);  // extension_offset
  out.put_text(std::string(12, '\0'));
  for (const Entry& entry : entries) {
    out.put_value<int32_t>(entry.flags);
    out.put_value<uint32_t>(strings.add(entry.soname, strings_at));
    out.put_value<uint32_t>(strings.add(entry.path, strings_at));
    out.put_value<uint32_t>(0);
    out.put_value<uint64_t>(entry.hwcap);
  }
  out.put_text(strings.text);
  const auto length = static_cast<uint32_t>(strings.text.size());
  std::memcpy(out.bytes().data() + len_strings_at, &length, sizeof length);
  return out.bytes();
}

// ld.so-1.7.0, optionally followed (8-byte aligned) by a whole new-format cache. The old table's
// strings come last, counted from the end of the old entries.
std::vector<std::byte> old_format(const std::vector<Entry>& entries,
                                  const std::vector<std::byte>& new_section = {}) {
  const uint64_t old_strings_base = 16 + 12 * entries.size();
  const uint64_t new_at = (old_strings_base + 7) & ~uint64_t{7};
  const uint64_t strings_at = new_section.empty() ? old_strings_base : new_at + new_section.size();
  Strings strings;
  Bytes out;
  out.put_text("ld.so-1.7.0");
  out.put_value<uint8_t>(0);
  out.put_value<uint32_t>(static_cast<uint32_t>(entries.size()));
  for (const Entry& entry : entries) {
    out.put_value<int32_t>(entry.flags);
    out.put_value<uint32_t>(strings.add(entry.soname, strings_at - old_strings_base));
    out.put_value<uint32_t>(strings.add(entry.path, strings_at - old_strings_base));
  }
  if (!new_section.empty()) {
    out.pad_to(8);
    out.put(new_section.data(), new_section.size());
  }
  out.put_text(strings.text);
  return out.bytes();
}

std::vector<Entry> sample_entries() {
  return {
      {kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"},
      {kForeignFlags, "libc.so.6", "/usr/lib/foreign/libc.so.6"},
      {kLdSoCacheFlags, "libc.so.6", "/usr/lib/glibc-hwcaps/v3/libc.so.6", 0x4000000000000001},
      {kLdSoCacheFlags, "libc.so.6", "/usr/lib/libc.so.6"},
      {kLdSoCacheFlags, "libc.so.6", "/usr/lib/second/libc.so.6"},
  };
}

std::string refusal(const std::vector<std::byte>& bytes) {
  Result<LdSoCache> result = LdSoCache::parse(bytes);
  REQUIRE_FALSE(result.has_value());
  return result.error().message();
}

std::vector<std::byte> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

// --- The host's cache ----------------------------------------------------------------------------

TEST_CASE("LdSoCache finds libc.so.6 in the host's /etc/ld.so.cache, at a path that exists") {
  Result<LdSoCache> sut = LdSoCache::load();
  REQUIRE(sut.has_value());
  CHECK_FALSE(sut->entries().empty());
  const std::optional<std::string> libc = sut->find("libc.so.6");
  REQUIRE(libc.has_value());
  CHECK(std::filesystem::exists(*libc));
  CHECK_FALSE(sut->find("libno-such-library.so.42").has_value());
}

TEST_CASE("LdSoCache agrees with ldconfig -p about the host's libc.so.6") {
  // ldconfig -p prints "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6" lines;
  // the first one of this architecture is the one ld.so uses.
  Result<LdSoCache> sut = LdSoCache::load();
  REQUIRE(sut.has_value());
  FILE* pipe = ::popen("/sbin/ldconfig -p 2>/dev/null", "r");
  REQUIRE(pipe != nullptr);
  std::vector<std::string> paths;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    const std::string text = line;
    if (text.find("\tlibc.so.6 (") != 0) continue;
    const size_t arrow = text.find(" => ");
    if (arrow != std::string::npos) paths.push_back(text.substr(arrow + 4, text.size() - arrow - 5));
  }
  ::pclose(pipe);
  if (paths.empty()) {
    WARN("ldconfig -p is not available: nothing to compare with");
    return;
  }
  const std::optional<std::string> libc = sut->find("libc.so.6");
  REQUIRE(libc.has_value());
  CHECK(std::find(paths.begin(), paths.end(), *libc) != paths.end());
}

TEST_CASE("LdSoCache survives every prefix of the host's cache") {
  const std::vector<std::byte> bytes = read_whole_file("/etc/ld.so.cache");
  REQUIRE(LdSoCache::parse(bytes).has_value());
  // Every byte of the headers, then a stride through the rest: accepted or refused, no crash.
  for (size_t size = 0; size < bytes.size(); size += size < 256 ? 1 : 97) {
    Result<LdSoCache> sut = LdSoCache::parse(std::span(bytes).first(size));
    if (!sut) CHECK_FALSE(sut.error().message().empty());
  }
}

TEST_CASE("LdSoCache::load says which file is missing, with ENOENT") {
  Result<LdSoCache> sut = LdSoCache::load("/nonexistent/ld.so.cache");
  REQUIRE_FALSE(sut.has_value());
  CHECK(sut.error().code() == ENOENT);
  CHECK(sut.error().message().find("/nonexistent/ld.so.cache") != std::string::npos);
}

// --- The three layouts ---------------------------------------------------------------------------

TEST_CASE("LdSoCache reads the new format alone, keeping the first usable entry of a name") {
  const std::vector<std::byte> bytes = new_format(sample_entries());
  Result<LdSoCache> sut = LdSoCache::parse(bytes);
  REQUIRE(sut.has_value());
  CHECK(sut->find("libz.so.1") == std::optional<std::string>("/usr/lib/libz.so.1"));
  // Not the foreign one, not the hwcaps variant, not the later duplicate.
  CHECK(sut->find("libc.so.6") == std::optional<std::string>("/usr/lib/libc.so.6"));
  REQUIRE(sut->entries().size() == 3);
  CHECK(sut->entries()[0].soname == "libz.so.1");
  CHECK(sut->entries()[1].path == "/usr/lib/libc.so.6");
  CHECK(sut->entries()[2].path == "/usr/lib/second/libc.so.6");
}

TEST_CASE("LdSoCache reads the old format alone") {
  const std::vector<std::byte> bytes = old_format(sample_entries());
  Result<LdSoCache> sut = LdSoCache::parse(bytes);
  REQUIRE(sut.has_value());
  CHECK(sut->find("libz.so.1") == std::optional<std::string>("/usr/lib/libz.so.1"));
  // The old format has no hwcap field: the first entry with this architecture's flags wins.
  CHECK(sut->find("libc.so.6") == std::optional<std::string>("/usr/lib/glibc-hwcaps/v3/libc.so.6"));
}

TEST_CASE("LdSoCache uses the new table when the old one precedes it, as ld.so does") {
  const std::vector<std::byte> bytes =
      old_format({{kLdSoCacheFlags, "libz.so.1", "/old/libz.so.1"}},
                 new_format({{kLdSoCacheFlags, "libz.so.1", "/new/libz.so.1"}}));
  Result<LdSoCache> sut = LdSoCache::parse(bytes);
  REQUIRE(sut.has_value());
  CHECK(sut->find("libz.so.1") == std::optional<std::string>("/new/libz.so.1"));
}

TEST_CASE("LdSoCache reads the old table when what follows it is not a new one") {
  std::vector<std::byte> bytes = old_format({{kLdSoCacheFlags, "libz.so.1", "/old/libz.so.1"}},
                                            new_format({}));
  // Spoil the new magic: the old table alone is then what ld.so would read.
  const size_t new_at = (16 + 12 + 7) & ~size_t{7};
  bytes[new_at] = std::byte{'X'};
  Result<LdSoCache> sut = LdSoCache::parse(bytes);
  REQUIRE(sut.has_value());
  CHECK(sut->find("libz.so.1") == std::optional<std::string>("/old/libz.so.1"));
}

TEST_CASE("LdSoCache of an empty table finds nothing") {
  const std::vector<std::byte> bytes = new_format({});
  Result<LdSoCache> sut = LdSoCache::parse(bytes);
  REQUIRE(sut.has_value());
  CHECK(sut->entries().empty());
  CHECK_FALSE(sut->find("libc.so.6").has_value());
}

// --- What it refuses ------------------------------------------------------------------------------

TEST_CASE("LdSoCache refuses bytes that are not a cache") {
  CHECK(refusal({}) == "not an ld.so.cache (bad magic)");
  const std::string text = "#!/bin/sh\necho hello\n";
  std::vector<std::byte> script(text.size());
  std::memcpy(script.data(), text.data(), text.size());
  CHECK(refusal(script) == "not an ld.so.cache (bad magic)");
}

TEST_CASE("LdSoCache refuses a string offset outside the cache") {
  std::vector<std::byte> bytes = new_format({{kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"}});
  const uint32_t bad = 0x9999;
  std::memcpy(bytes.data() + 48 + 4, &bad, sizeof bad);
  CHECK(refusal(bytes) ==
        "entry 0: soname offset 0x9999 outside the cache (" + hex(bytes.size()) + " bytes)");
}

TEST_CASE("LdSoCache refuses entries of another architecture with bad offsets too") {
  std::vector<std::byte> bytes = new_format({{kForeignFlags, "libz.so.1", "/usr/lib/libz.so.1"}});
  const uint32_t bad = 0x9999;
  std::memcpy(bytes.data() + 48 + 8, &bad, sizeof bad);
  CHECK(refusal(bytes) ==
        "entry 0: path offset 0x9999 outside the cache (" + hex(bytes.size()) + " bytes)");
}

TEST_CASE("LdSoCache refuses a string that runs to the end of the cache without a NUL") {
  std::vector<std::byte> bytes = new_format({{kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"}});
  bytes.pop_back();
  CHECK(refusal(bytes).starts_with("entry 0: path at offset "));
  CHECK(refusal(bytes).ends_with(" is not NUL-terminated inside the cache"));
}

TEST_CASE("LdSoCache refuses a table that claims more entries than the bytes hold") {
  std::vector<std::byte> bytes = new_format({{kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"}});
  const uint32_t count = 5000;
  std::memcpy(bytes.data() + 20, &count, sizeof count);
  CHECK(refusal(bytes) == "truncated: 5000 entries need " + hex(48 + 24 * 5000) +
                              " bytes, the cache has " + hex(bytes.size()));

  std::vector<std::byte> old = old_format({{kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"}});
  const uint32_t huge = 0xffffffff;
  std::memcpy(old.data() + 12, &huge, sizeof huge);
  CHECK(refusal(old).starts_with("truncated: 4294967295 old-format entries need "));
}

TEST_CASE("LdSoCache refuses a cache written in the other byte order") {
  const std::vector<std::byte> bytes =
      new_format({{kLdSoCacheFlags, "libz.so.1", "/usr/lib/libz.so.1"}}, kBigEndian);
  CHECK(refusal(bytes) == "big-endian ld.so.cache on a little-endian host");
}

TEST_CASE("LdSoCache refuses every prefix that cuts the table it reads, and accepts the rest") {
  struct Layout {
    std::vector<std::byte> bytes;
    size_t whole_from;  // the shortest prefix that holds the whole table ld.so reads
  };
  const std::vector<std::byte> new_section = new_format(sample_entries());
  const size_t new_at = (16 + 12 * sample_entries().size() + 7) & ~size_t{7};
  std::vector<Layout> layouts;
  layouts.push_back({new_section, new_section.size()});
  const std::vector<std::byte> old_alone = old_format(sample_entries());
  layouts.push_back({old_alone, old_alone.size()});
  // Both: the old table's strings come after the new table, which is complete without them.
  layouts.push_back({old_format(sample_entries(), new_section), new_at + new_section.size()});

  for (const Layout& layout : layouts) {
    for (size_t size = 0; size <= layout.bytes.size(); ++size) {
      Result<LdSoCache> sut = LdSoCache::parse(std::span(layout.bytes).first(size));
      CHECK(sut.has_value() == (size >= layout.whole_from));
    }
  }
}
