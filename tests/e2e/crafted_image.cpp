#include "crafted_image.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tproc::e2e {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

la_ssize_t append_to(struct archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

/// `bytes` as one whole gzip member (libarchive's raw format through its gzip filter).
std::string gzip_member(const std::string& bytes) {
  std::string out;
  struct archive* writer = archive_write_new();
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_pathname(entry, "data");
  archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
  bool written = archive_write_set_format_raw(writer) == ARCHIVE_OK && archive_write_add_filter_gzip(writer) == ARCHIVE_OK &&
                 archive_write_set_filter_option(writer, "gzip", "timestamp", nullptr) == ARCHIVE_OK &&
                 archive_write_set_bytes_in_last_block(writer, 1) == ARCHIVE_OK &&
                 archive_write_open(writer, &out, nullptr, append_to, nullptr) == ARCHIVE_OK &&
                 archive_write_header(writer, entry) == ARCHIVE_OK &&
                 archive_write_data(writer, bytes.data(), bytes.size()) == static_cast<la_ssize_t>(bytes.size()) &&
                 archive_write_close(writer) == ARCHIVE_OK;
  archive_entry_free(entry);
  archive_write_free(writer);
  if (!written) throw std::runtime_error("cannot gzip with libarchive");
  return out;
}

/// A ustar header for the regular file `name` of `size` bytes, mode 0644, every other field zero.
std::string ustar_header(const std::string& name, uint64_t size) {
  if (name.size() >= 100 || size >= (uint64_t{1} << 33)) throw std::runtime_error("ustar cannot say that");
  std::string header(512, '\0');
  std::memcpy(header.data(), name.data(), name.size());
  std::snprintf(header.data() + 100, 8, "%07o", 0644);
  std::snprintf(header.data() + 108, 8, "%07o", 0);
  std::snprintf(header.data() + 116, 8, "%07o", 0);
  std::snprintf(header.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(header.data() + 136, 12, "%011o", 0);
  header[156] = '0';
  std::memcpy(header.data() + 257, "ustar\0" "00", 8);
  std::memset(header.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(header.data() + 148, 8, "%06o", sum);
  header[155] = ' ';
  return header;
}

std::string read_whole(const fs::path& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw std::runtime_error("cannot read " + path.native());
  std::string bytes;
  char buffer[65536];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, got);
  std::fclose(file);
  return bytes;
}

void write_whole(const fs::path& path, const std::string& bytes) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size() || std::fclose(file) != 0)
    throw std::runtime_error("cannot write " + path.native());
}

}  // namespace

std::string digest_of(const std::string& bytes) { return "sha256:" + bundle::test::sha256_of(bytes); }

std::string CraftedImage::layer_of(const std::vector<bundle::test::TarEntry>& entries) {
  return bundle::test::make_tar(entries, true);
}

std::string CraftedImage::zeros_layer(const std::string& name, uint64_t bytes) {
  constexpr uint64_t kChunk = uint64_t{64} << 20;
  if (bytes % kChunk != 0) throw std::runtime_error("zeros_layer: a multiple of 64 MiB");
  std::string layer = gzip_member(ustar_header(name, bytes));
  const std::string chunk = gzip_member(std::string(kChunk, '\0'));
  for (uint64_t written = 0; written < bytes; written += kChunk) layer += chunk;
  return layer + gzip_member(std::string(1024, '\0'));  // the end-of-archive blocks
}

std::string CraftedImage::tproc_config_of(const fs::path& bundle) {
  auto members = bundle::test::read_tar(read_whole(bundle));
  auto blob = [&](const std::string& name) -> std::string {
    for (const auto& member : members)
      if (member.name == name) return member.data;
    throw std::runtime_error(bundle.native() + " has no " + name);
  };
  auto blob_of = [&](const std::string& digest) { return blob("blobs/sha256/" + digest.substr(7)); };
  ordered_json index = ordered_json::parse(blob("index.json"));
  ordered_json manifest = ordered_json::parse(blob_of(index["manifests"][0]["digest"]));
  ordered_json config = ordered_json::parse(blob_of(manifest["config"]["digest"]));
  return config.at("tproc").dump();
}

std::string CraftedImage::write_layout(const fs::path& dir, const std::string& tag) const {
  fs::create_directories(dir / "blobs/sha256");
  auto put = [&](const std::string& bytes) {
    std::string digest = digest_of(bytes);
    write_whole(dir / "blobs/sha256" / digest.substr(7), bytes);
    return digest;
  };
  ordered_json config = {{"architecture", "amd64"},
                         {"os", "linux"},
                         {"rootfs", {{"type", "layers"}, {"diff_ids", ordered_json::array()}}},
                         {"tproc", ordered_json::parse(tproc_config)}};
  const std::string config_bytes = config.dump();
  ordered_json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", put(config_bytes)}, {"size", config_bytes.size()}}},
      {"layers",
       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", put(layer)}, {"size", layer.size()}}}}};
  const std::string manifest_bytes = manifest.dump();
  ordered_json index = {{"schemaVersion", 2},
                        {"manifests",
                         {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                           {"digest", put(manifest_bytes)},
                           {"size", manifest_bytes.size()},
                           {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
  write_whole(dir / "index.json", index.dump());
  write_whole(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return manifest_bytes;
}

}  // namespace tproc::e2e
