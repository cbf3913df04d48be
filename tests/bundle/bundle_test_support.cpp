#include "bundle_test_support.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "bundle/remove_tree.hpp"

namespace tproc::bundle::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tproc-bundle-test-XXXXXX";
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  auto removed = remove_tree(path_);
  if (!removed) WARN("could not remove " << path_ << ": " << removed.error().describe());
}

namespace {

la_ssize_t append_to_string(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

void add_member(struct archive* writer, const std::string& name, const std::string& data) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
  if (!data.empty()) REQUIRE(archive_write_data(writer, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
  archive_entry_free(entry);
}

}  // namespace

std::string make_tar(const std::vector<TarEntry>& entries, bool gzip) {
  std::string out;
  struct archive* writer = archive_write_new();
  REQUIRE(archive_write_set_format_pax_restricted(writer) == ARCHIVE_OK);
  if (gzip) REQUIRE(archive_write_add_filter_gzip(writer) == ARCHIVE_OK);
  REQUIRE(archive_write_set_bytes_in_last_block(writer, 1) == ARCHIVE_OK);
  REQUIRE(archive_write_open(writer, &out, nullptr, append_to_string, nullptr) == ARCHIVE_OK);
  for (const TarEntry& spec : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, spec.name.c_str());
    archive_entry_set_perm(entry, spec.mode);
    switch (spec.type) {
      case TarEntry::Type::file:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(spec.data.size()));
        break;
      case TarEntry::Type::directory: archive_entry_set_filetype(entry, AE_IFDIR); break;
      case TarEntry::Type::symlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, spec.link.c_str());
        break;
      case TarEntry::Type::hardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, spec.link.c_str());
        break;
      case TarEntry::Type::char_device:
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdev(entry, makedev(1, 3));
        break;
      case TarEntry::Type::fifo: archive_entry_set_filetype(entry, AE_IFIFO); break;
    }
    INFO("tar entry " << spec.name << ": " << (archive_error_string(writer) ? archive_error_string(writer) : ""));
    REQUIRE(archive_write_header(writer, entry) >= ARCHIVE_WARN);
    if (spec.type == TarEntry::Type::file && !spec.data.empty())
      REQUIRE(archive_write_data(writer, spec.data.data(), spec.data.size()) ==
              static_cast<la_ssize_t>(spec.data.size()));
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(writer) == ARCHIVE_OK);
  archive_write_free(writer);
  return out;
}

std::string sha256_of(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  std::string hex;
  char two[3];
  for (unsigned i = 0; i < length; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

std::string make_bundle(const RawBundle& raw) {
  std::string layer_hex = sha256_of(raw.layer);
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"tproc":)" +
                       raw.tproc_config + "}";
  std::string config_hex = sha256_of(config);
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
                         config_hex + R"(","size":)" + std::to_string(config.size()) +
                         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)" +
                         layer_hex + R"(","size":)" +
                         std::to_string(raw.layer_size_override.value_or(raw.layer.size())) +
                         R"(}],"annotations":{"org.opencontainers.image.title":"kv","org.opencontainers.image.version":"1.0"}})";
  std::string manifest_hex = sha256_of(manifest);
  std::string index = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
                      manifest_hex + R"(","size":)" + std::to_string(manifest.size()) +
                      R"(,"annotations":{"org.opencontainers.image.ref.name":"kv:1.0"}}]})";

  std::string out;
  struct archive* writer = archive_write_new();
  REQUIRE(archive_write_set_format_pax_restricted(writer) == ARCHIVE_OK);
  REQUIRE(archive_write_set_bytes_in_last_block(writer, 1) == ARCHIVE_OK);
  REQUIRE(archive_write_open(writer, &out, nullptr, append_to_string, nullptr) == ARCHIVE_OK);
  if (raw.with_oci_layout) add_member(writer, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  if (raw.with_index) add_member(writer, "index.json", index);
  add_member(writer, "blobs/sha256/" + manifest_hex, manifest);
  add_member(writer, "blobs/sha256/" + config_hex, config);
  add_member(writer, "blobs/sha256/" + layer_hex, raw.layer_blob_override.value_or(raw.layer));
  REQUIRE(archive_write_close(writer) == ARCHIVE_OK);
  archive_write_free(writer);
  return out;
}

std::vector<TarMember> read_tar(const std::string& bytes) {
  std::vector<TarMember> members;
  struct archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  archive_read_support_filter_gzip(reader);
  REQUIRE(archive_read_open_memory(reader, bytes.data(), bytes.size()) == ARCHIVE_OK);
  struct archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(reader, &entry)) == ARCHIVE_OK) {
    TarMember member;
    member.name = archive_entry_pathname(entry);
    member.type = archive_entry_filetype(entry);
    member.mode = archive_entry_perm(entry);
    member.mtime = archive_entry_mtime(entry);
    member.uid = archive_entry_uid(entry);
    member.gid = archive_entry_gid(entry);
    member.uname = archive_entry_uname(entry) ? archive_entry_uname(entry) : "";
    member.gname = archive_entry_gname(entry) ? archive_entry_gname(entry) : "";
    member.link = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
    char buffer[65536];
    la_ssize_t got;
    while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) member.data.append(buffer, static_cast<size_t>(got));
    REQUIRE(got == 0);
    members.push_back(std::move(member));
  }
  REQUIRE(status == ARCHIVE_EOF);
  archive_read_free(reader);
  return members;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) names.push_back(entry.path().filename());
  REQUIRE(!error);
  std::sort(names.begin(), names.end());
  return names;
}

std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, output};
}

bool have_program(const std::string& program) {
  return run_command("command -v " + program + " >/dev/null").first == 0;
}

}  // namespace tproc::bundle::test
