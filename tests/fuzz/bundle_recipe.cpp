#include "bundle_recipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bundle/sha256.hpp"
#include "bundle/unique_archive.hpp"
#include "common/unique_fd.hpp"

namespace tproc::fuzz {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kSizeField = 124;  // ustar: 12 bytes of octal
constexpr size_t kChecksumField = 148;  // ustar: 8 bytes
constexpr std::string_view kDefaultLayout = R"({"imageLayoutVersion":"1.0.0"})";

std::vector<std::string> split_parts(std::string_view text) {
  std::vector<std::string> parts;
  for (;;) {
    size_t end = text.find(kPartSeparator);
    if (end == std::string_view::npos) {
      parts.emplace_back(text);
      return parts;
    }
    parts.emplace_back(text.substr(0, end));
    text.remove_prefix(end + kPartSeparator.size());
  }
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

/// Fills in the digest and size of `part` wherever `name` asks for them in `text`.
Result<void> bind(std::string& text, std::string_view name, const std::string& part) {
  const std::string hex = TPROC_TRY(bundle::sha256_hex(part));
  replace_all(text, "@" + std::string(name) + "@", hex);
  replace_all(text, "@" + std::string(name) + "_SIZE@", std::to_string(part.size()));
  return ok();
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return Error::from_errno("write");
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return ok();
}

struct Member {
  std::string name;
  const std::string* bytes;
};

Result<void> write_outer_tar(const std::vector<Member>& members, const std::string& path) {
  bundle::ArchiveWriter writer = TPROC_TRY(bundle::ArchiveWriter::create());
  if (archive_write_set_format_pax_restricted(writer.get()) != ARCHIVE_OK ||
      archive_write_open_filename(writer.get(), path.c_str()) != ARCHIVE_OK) {
    return Error("libarchive: " + writer.error_string(), EIO);
  }
  for (const Member& member : members) {
    bundle::UniqueArchiveEntry entry = TPROC_TRY(bundle::UniqueArchiveEntry::create());
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.bytes->size()));
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(writer.get(), member.bytes->data(), member.bytes->size()) !=
            static_cast<la_ssize_t>(member.bytes->size())) {
      return Error("libarchive: " + member.name + ": " + writer.error_string(), EIO);
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) return Error("libarchive: " + writer.error_string(), EIO);
  return ok();
}

}  // namespace

void fix_tar_checksums(std::string& tar) {
  size_t offset = 0;
  while (kBlock <= tar.size() - offset) {
    char* header = tar.data() + offset;
    if (std::all_of(header, header + kBlock, [](char c) { return c == 0; })) return;
    // Base-256 sizes (high bit set) are rare and would need their own parser: stop there.
    if ((static_cast<unsigned char>(header[kSizeField]) & 0x80) != 0) return;
    uint64_t size = 0;
    for (size_t i = kSizeField; i < kSizeField + 12 && header[i] >= '0' && header[i] <= '7'; ++i) {
      size = size * 8 + static_cast<uint64_t>(header[i] - '0');
    }
    std::memset(header + kChecksumField, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(header[i]);
    // "%06o" then NUL then space, as tar writes it; the sum is at most 512 * 255 = 0377000.
    char digits[8];
    std::snprintf(digits, sizeof digits, "%06o", sum);
    std::memcpy(header + kChecksumField, digits, 7);
    header[kChecksumField + 7] = ' ';
    const uint64_t data_blocks = size / kBlock + (size % kBlock != 0 ? 1 : 0);
    if (data_blocks > (tar.size() - offset - kBlock) / kBlock) return;  // the data runs past the end
    offset += kBlock + data_blocks * kBlock;
  }
}

Result<void> write_bundle_recipe(std::span<const char> input, const std::string& path) {
  if (input.empty() || input[0] != kRecipeMarker) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return Error::from_errno("open " + path);
    return write_all(fd.get(), std::string_view(input.data(), input.size()));
  }

  std::vector<std::string> parts = split_parts(std::string_view(input.data() + 1, input.size() - 1));
  parts.resize(std::max<size_t>(parts.size(), 5));
  std::string& index = parts[0];
  std::string& manifest = parts[1];
  std::string& config = parts[2];
  std::string& layer = parts[3];
  std::string& layout = parts[4];
  if (layout.empty()) layout = kDefaultLayout;

  fix_tar_checksums(layer);
  for (std::string* text : {&index, &manifest}) {
    TPROC_TRY(bind(*text, "CONFIG", config));
    TPROC_TRY(bind(*text, "LAYER", layer));
  }
  TPROC_TRY(bind(index, "MANIFEST", manifest));

  std::vector<Member> members = {{"oci-layout", &layout}, {"index.json", &index}};
  std::vector<std::string> written;
  for (const std::string* blob : {&manifest, &config, &layer}) {
    std::string hex = TPROC_TRY(bundle::sha256_hex(*blob));
    if (std::find(written.begin(), written.end(), hex) != written.end()) continue;
    written.push_back(hex);
    members.push_back({"blobs/sha256/" + hex, blob});
  }
  return write_outer_tar(members, path);
}

}  // namespace tproc::fuzz
