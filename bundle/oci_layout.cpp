#include "bundle/oci_layout.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <map>
#include <span>

#include "bundle/bundle_path.hpp"
#include "bundle/json_value.hpp"
#include "bundle/sha256.hpp"
#include "bundle/unique_archive.hpp"
#include "common/unique_fd.hpp"

namespace tproc::bundle {

namespace {

constexpr size_t kCopyChunk = 1 << 16;
// Fixed so that a change of libarchive's default cannot change the bytes.
constexpr int kGzipLevel = 6;

Error refuse(const std::string& path, std::string_view reason) {
  return Error::explained("bundle entry \"" + path + "\": " + std::string(reason), EINVAL);
}

/// An entry of the layer after validation: canonical path, and what to write.
struct LayerEntry {
  std::string path;
  const BundleFile* file = nullptr;  // nullptr: an implied parent directory
};

Result<int64_t> entry_mtime(const BundleContents& contents) {
  if (contents.mtime) return *contents.mtime;
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch == nullptr || *epoch == '\0') return int64_t{0};
  int64_t seconds = 0;
  std::string_view text(epoch);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || seconds < 0)
    return Error::explained("SOURCE_DATE_EPOCH=\"" + std::string(text) + "\" is not a number of seconds", EINVAL);
  return seconds;
}

std::string host_architecture() {
  struct utsname names;
  if (::uname(&names) != 0) return "unknown";
  std::string machine = names.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

// Validates every file and adds the parent directories nobody listed, sorted by path.
Result<std::vector<LayerEntry>> plan_layer(const std::vector<BundleFile>& files) {
  std::map<std::string, LayerEntry> entries;  // sorted bytewise: parents before children
  for (const BundleFile& file : files) {
    auto components = split_entry_path(file.path);
    if (!components) return refuse(file.path, components.error().message());
    if (components->empty()) return refuse(file.path, "names the bundle root");
    std::string path = join_path(*components);
    if (file.kind != BundleFile::Kind::symlink && (file.mode & ~0777u) != 0) {
      char octal[16];
      std::snprintf(octal, sizeof octal, "%04o", file.mode);
      return refuse(path, std::string("mode ") + octal +
                              " has bits beyond rwx (setuid, setgid and sticky are refused)");
    }
    if (file.kind == BundleFile::Kind::symlink) {
      auto target = check_symlink_target(*components, file.source);
      if (!target) return refuse(path, target.error().message());
    }
    auto [where, inserted] = entries.try_emplace(path, LayerEntry{path, &file});
    if (!inserted) {
      // A directory listed explicitly after a file implied it is fine; anything else twice is not.
      if (where->second.file == nullptr && file.kind == BundleFile::Kind::directory) {
        where->second.file = &file;
      } else {
        return refuse(path, "listed twice");
      }
    }
    components->pop_back();
    std::string parent;
    for (const auto& component : *components) {
      parent += parent.empty() ? component : "/" + component;
      entries.try_emplace(parent, LayerEntry{parent, nullptr});
    }
  }
  // Every parent must be a directory, or the file would be written through a link or into a file.
  std::vector<LayerEntry> plan;
  for (auto& [path, entry] : entries) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      const LayerEntry& parent = entries.at(path.substr(0, slash));
      if (parent.file != nullptr && parent.file->kind != BundleFile::Kind::directory)
        return refuse(path, "its parent \"" + parent.path + "\" is not a directory");
    }
    plan.push_back(entry);
  }
  return plan;
}

// Sets the fields every entry shares, the ones that make the archive reproducible.
void set_fixed_fields(struct archive_entry* entry, const std::string& path, int64_t mtime) {
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_mtime(entry, mtime, 0);
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
}

Error archive_error(const ArchiveWriter& writer, std::string_view what) {
  return Error::explained(std::string(what) + ": " + writer.error_string(), EIO);
}

Result<void> write_header(ArchiveWriter& writer, struct archive_entry* entry, const std::string& path) {
  if (archive_write_header(writer.get(), entry) != ARCHIVE_OK)
    return archive_error(writer, "write bundle entry \"" + path + "\"");
  return ok();
}

Result<void> write_data(ArchiveWriter& writer, std::span<const char> bytes, const std::string& path) {
  while (!bytes.empty()) {
    la_ssize_t written = archive_write_data(writer.get(), bytes.data(), bytes.size());
    if (written <= 0) return archive_error(writer, "write bundle entry \"" + path + "\"");
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
  return ok();
}

/// How far the layer's files have been read into it, for progress.
struct LayerProgress {
  Progress* progress = nullptr;
  uint64_t done = 0;
  uint64_t total = 0;
  void add(uint64_t bytes) {
    done += bytes;
    report_progress(progress, "compressing", done, total, ProgressUnit::bytes);
  }
};

// Copies exactly `size` bytes of `fd` from offset 0 into the current entry.
Result<void> copy_fd(ArchiveWriter& writer, int fd, uint64_t size, const std::string& path,
                     const std::string& source, LayerProgress* counted = nullptr) {
  std::vector<char> buffer(kCopyChunk);
  uint64_t copied = 0;
  while (copied < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - copied));
    ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(copied));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("bundle entry \"" + path + "\": read " + source);
    }
    if (got == 0) return refuse(path, source + " shrank while being read");
    TPROC_TRY(write_data(writer, std::span<const char>(buffer.data(), static_cast<size_t>(got)), path));
    copied += static_cast<uint64_t>(got);
    if (counted) counted->add(static_cast<uint64_t>(got));
  }
  char extra;
  if (::pread(fd, &extra, 1, static_cast<off_t>(size)) > 0) return refuse(path, source + " grew while being read");
  return ok();
}

// Where the layer's bytes go: the uncompressed tar is hashed (the diff_id the image config needs)
// and fed to a second libarchive writer that only gzips; its output is hashed (the layer digest)
// and written to a temporary file, because the outer tar needs the layer's size and digest before
// its data.
struct LayerSink {
  ArchiveWriter* gzip = nullptr;
  Sha256 uncompressed_hash;
  Sha256 compressed_hash;
  uint64_t compressed_size = 0;
  int out_fd = -1;
  int write_errno = 0;
};

la_ssize_t write_uncompressed(struct archive* archive, void* client, const void* buffer, size_t length) {
  auto* sink = static_cast<LayerSink*>(client);
  sink->uncompressed_hash.update(std::span(static_cast<const std::byte*>(buffer), length));
  const char* bytes = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    la_ssize_t written = archive_write_data(sink->gzip->get(), bytes, left);
    if (written <= 0) {
      archive_set_error(archive, EIO, "%s", sink->gzip->error_string().c_str());
      return -1;
    }
    bytes += written;
    left -= static_cast<size_t>(written);
  }
  return static_cast<la_ssize_t>(length);
}

la_ssize_t write_compressed(struct archive* archive, void* client, const void* buffer, size_t length) {
  auto* sink = static_cast<LayerSink*>(client);
  sink->compressed_hash.update(std::span(static_cast<const std::byte*>(buffer), length));
  const char* bytes = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    ssize_t written = ::write(sink->out_fd, bytes, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      sink->write_errno = written < 0 ? errno : EIO;
      archive_set_error(archive, sink->write_errno, "write layer: %s", std::strerror(sink->write_errno));
      return -1;
    }
    bytes += written;
    left -= static_cast<size_t>(written);
  }
  sink->compressed_size += length;
  return static_cast<la_ssize_t>(length);
}

// Creates an anonymous temporary file in `directory` (unlinked at once: nothing to clean up).
Result<UniqueFd> anonymous_file(const std::string& directory) {
  std::string pattern = directory + "/.tproc-layer-XXXXXX";
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd) return Error::from_errno("create a temporary file in " + directory);
  ::unlink(pattern.c_str());
  return fd;
}

struct Layer {
  UniqueFd file;
  std::string digest;
  std::string diff_id;
  uint64_t size = 0;
};

Result<void> configure_tar(ArchiveWriter& writer) {
  if (archive_write_set_format_pax_restricted(writer.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(writer.get(), 10240) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(writer.get(), 1) != ARCHIVE_OK)
    return archive_error(writer, "configure tar writer");
  return ok();
}

/// The bytes write_layer will read: every file's content (a file that changes size meanwhile is
/// refused there).
uint64_t layer_input_bytes(const std::vector<LayerEntry>& plan) {
  uint64_t total = 0;
  struct stat status;
  for (const LayerEntry& planned : plan) {
    if (!planned.file) continue;
    if (planned.file->kind == BundleFile::Kind::bytes) total += planned.file->source.size();
    if (planned.file->kind == BundleFile::Kind::host_file && ::stat(planned.file->source.c_str(), &status) == 0)
      total += static_cast<uint64_t>(status.st_size);
  }
  return total;
}

Result<Layer> write_layer(const std::vector<LayerEntry>& plan, int64_t mtime, const std::string& temp_directory,
                          Progress* progress) {
  Layer layer;
  layer.file = TPROC_TRY(anonymous_file(temp_directory));
  LayerProgress counted{progress, 0, progress ? layer_input_bytes(plan) : 0};
  if (progress) counted.add(0);

  // Declared in this order so they are destroyed in the reverse: freeing a writer flushes it
  // through its callback, into the sink and the next writer, which must still be alive.
  LayerSink sink;
  ArchiveWriter gzip = TPROC_TRY(ArchiveWriter::create());
  sink.gzip = &gzip;
  sink.out_fd = layer.file.get();
  std::string gzip_options = "gzip:!timestamp,gzip:compression-level=" + std::to_string(kGzipLevel);
  if (archive_write_set_format_raw(gzip.get()) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(gzip.get()) != ARCHIVE_OK ||
      archive_write_set_options(gzip.get(), gzip_options.c_str()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(gzip.get(), 1) != ARCHIVE_OK ||
      archive_write_open(gzip.get(), &sink, nullptr, write_compressed, nullptr) != ARCHIVE_OK)
    return archive_error(gzip, "set up the layer's gzip stream");
  {
    // The raw format carries one nameless regular entry: the stream to compress.
    UniqueArchiveEntry stream = TPROC_TRY(UniqueArchiveEntry::create());
    archive_entry_set_filetype(stream.get(), AE_IFREG);
    archive_entry_set_pathname(stream.get(), "layer.tar");
    if (archive_write_header(gzip.get(), stream.get()) != ARCHIVE_OK)
      return archive_error(gzip, "set up the layer's gzip stream");
  }

  ArchiveWriter tar = TPROC_TRY(ArchiveWriter::create());
  TPROC_TRY(configure_tar(tar));
  if (archive_write_open(tar.get(), &sink, nullptr, write_uncompressed, nullptr) != ARCHIVE_OK)
    return archive_error(tar, "set up the layer");

  for (const LayerEntry& planned : plan) {
    UniqueArchiveEntry entry = TPROC_TRY(UniqueArchiveEntry::create());
    set_fixed_fields(entry.get(), planned.path, mtime);
    const BundleFile* file = planned.file;
    if (file == nullptr || file->kind == BundleFile::Kind::directory) {
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      archive_entry_set_perm(entry.get(), file == nullptr ? 0755 : file->mode);
      TPROC_TRY(write_header(tar, entry.get(), planned.path));
    } else if (file->kind == BundleFile::Kind::symlink) {
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_perm(entry.get(), 0777);
      archive_entry_set_symlink(entry.get(), file->source.c_str());
      TPROC_TRY(write_header(tar, entry.get(), planned.path));
    } else if (file->kind == BundleFile::Kind::bytes) {
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), file->mode);
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(file->source.size()));
      TPROC_TRY(write_header(tar, entry.get(), planned.path));
      TPROC_TRY(write_data(tar, std::span<const char>(file->source.data(), file->source.size()), planned.path));
      counted.add(file->source.size());
    } else {
      UniqueFd source(::open(file->source.c_str(), O_RDONLY | O_CLOEXEC));
      if (!source) return Error::from_errno("bundle entry \"" + planned.path + "\": open " + file->source);
      struct stat status;
      if (::fstat(source.get(), &status) != 0)
        return Error::from_errno("bundle entry \"" + planned.path + "\": stat " + file->source);
      if (!S_ISREG(status.st_mode)) return refuse(planned.path, file->source + " is not a regular file");
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), file->mode);
      archive_entry_set_size(entry.get(), status.st_size);
      TPROC_TRY(write_header(tar, entry.get(), planned.path));
      TPROC_TRY(copy_fd(tar, source.get(), static_cast<uint64_t>(status.st_size), planned.path, file->source, &counted));
    }
  }
  if (archive_write_close(tar.get()) != ARCHIVE_OK) return archive_error(tar, "finish the layer");
  if (archive_write_close(gzip.get()) != ARCHIVE_OK) return archive_error(gzip, "finish the layer");
  layer.diff_id = oci_digest(TPROC_TRY(sink.uncompressed_hash.finish_hex()));
  layer.digest = oci_digest(TPROC_TRY(sink.compressed_hash.finish_hex()));
  layer.size = sink.compressed_size;
  return layer;
}

std::string descriptor_json(std::string_view media_type, const std::string& digest, uint64_t size) {
  return "{\"mediaType\":" + json_quote(media_type) + ",\"digest\":" + json_quote(digest) +
         ",\"size\":" + std::to_string(size) + "}";
}

// Removes the temporary output unless the write got as far as renaming it into place.
class TemporaryPath {
 public:
  explicit TemporaryPath(std::string path) : path_(std::move(path)) {}
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;
  ~TemporaryPath() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

Result<void> write_member(ArchiveWriter& writer, const std::string& path, std::string_view bytes, int64_t mtime) {
  UniqueArchiveEntry entry = TPROC_TRY(UniqueArchiveEntry::create());
  set_fixed_fields(entry.get(), path, mtime);
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
  TPROC_TRY(write_header(writer, entry.get(), path));
  return write_data(writer, std::span<const char>(bytes.data(), bytes.size()), path);
}

Result<void> write_directory(ArchiveWriter& writer, const std::string& path, int64_t mtime) {
  UniqueArchiveEntry entry = TPROC_TRY(UniqueArchiveEntry::create());
  set_fixed_fields(entry.get(), path, mtime);
  archive_entry_set_filetype(entry.get(), AE_IFDIR);
  archive_entry_set_perm(entry.get(), 0755);
  return write_header(writer, entry.get(), path);
}

bool is_ref_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The OCI image-spec grammar for ref names: components of alphanumerics joined by one of
// [-._:@+] or "--", components separated by '/'.
bool is_valid_ref(std::string_view ref) {
  if (ref.empty()) return false;
  bool after_alnum = false;
  for (size_t i = 0; i < ref.size(); ++i) {
    char c = ref[i];
    if (is_ref_alphanumeric(c)) {
      after_alnum = true;
      continue;
    }
    if (!after_alnum) return false;
    bool separator = c == '-' || c == '.' || c == '_' || c == ':' || c == '@' || c == '+' || c == '/';
    if (!separator) return false;
    if (c == '-' && i + 1 < ref.size() && ref[i + 1] == '-') ++i;
    after_alnum = false;
  }
  return after_alnum;
}

}  // namespace

BundleFile BundleFile::from_host(std::string path, std::string host_path, uint32_t mode) {
  return BundleFile{std::move(path), Kind::host_file, std::move(host_path), mode};
}

BundleFile BundleFile::from_bytes(std::string path, std::string content, uint32_t mode) {
  return BundleFile{std::move(path), Kind::bytes, std::move(content), mode};
}

BundleFile BundleFile::symlink(std::string path, std::string target) {
  return BundleFile{std::move(path), Kind::symlink, std::move(target), 0777};
}

BundleFile BundleFile::directory(std::string path, uint32_t mode) {
  return BundleFile{std::move(path), Kind::directory, {}, mode};
}

std::string oci_ref_name(std::string_view name, std::string_view version) {
  std::string ref = std::string(name) + ":" + std::string(version);
  if (!version.empty() && is_valid_ref(ref)) return ref;
  return std::string(name);
}

Result<WrittenBundle> write_bundle(const BundleContents& contents, const std::string& out_path, Progress* progress) {
  std::string context = "write bundle " + out_path;
  if (contents.name.empty()) return Error::explained(context + ": the app has no name", EINVAL);
  auto config = JsonValue::parse(contents.config_json);
  if (!config || !config->is_object())
    return Error::explained(context + ": the tproc config is not a JSON object" +
                                (config ? std::string() : ": " + config.error().message()),
                            EINVAL);
  int64_t mtime = TPROC_TRY_CTX(context, entry_mtime(contents));
  std::vector<LayerEntry> plan = TPROC_TRY_CTX(context, plan_layer(contents.files));

  size_t slash = out_path.rfind('/');
  std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : out_path.substr(0, slash));
  Layer layer = TPROC_TRY_CTX(context, write_layer(plan, mtime, directory, progress));

  std::string architecture = contents.architecture.empty() ? host_architecture() : contents.architecture;
  std::string config_blob = "{\"architecture\":" + json_quote(architecture) +
                            ",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
                            json_quote(layer.diff_id) + "]},\"" + std::string(kTprocConfigMember) +
                            "\":" + contents.config_json + "}";
  std::string config_hex = TPROC_TRY_CTX(context, sha256_hex(config_blob));

  std::string manifest = "{\"schemaVersion\":2,\"mediaType\":" + json_quote(kMediaTypeImageManifest) +
                         ",\"config\":" + descriptor_json(kMediaTypeImageConfig, oci_digest(config_hex), config_blob.size()) +
                         ",\"layers\":[" + descriptor_json(kMediaTypeLayerTarGzip, layer.digest, layer.size) +
                         "],\"annotations\":{" + json_quote(kAnnotationTitle) + ":" + json_quote(contents.name) +
                         "," + json_quote(kAnnotationVersion) + ":" + json_quote(contents.version) + "}}";
  std::string manifest_hex = TPROC_TRY_CTX(context, sha256_hex(manifest));
  std::string manifest_descriptor = descriptor_json(kMediaTypeImageManifest, oci_digest(manifest_hex), manifest.size());
  manifest_descriptor.pop_back();  // reopen the object to add platform and annotations
  manifest_descriptor += ",\"platform\":{\"architecture\":" + json_quote(architecture) +
                         ",\"os\":\"linux\"},\"annotations\":{" + json_quote(kAnnotationRefName) + ":" +
                         json_quote(oci_ref_name(contents.name, contents.version)) + "}}";
  std::string index = "{\"schemaVersion\":2,\"mediaType\":" + json_quote(kMediaTypeImageIndex) +
                      ",\"manifests\":[" + manifest_descriptor + "]}";

  std::string pattern = out_path + ".tmp-XXXXXX";
  UniqueFd out(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!out) return Error::from_errno(context + ": create " + pattern);
  TemporaryPath temporary(pattern);
  if (::fchmod(out.get(), 0644) != 0) return Error::from_errno(context + ": chmod " + pattern);

  ArchiveWriter writer = TPROC_TRY(ArchiveWriter::create());
  TPROC_TRY_CTX(context, configure_tar(writer));
  if (archive_write_open_fd(writer.get(), out.get()) != ARCHIVE_OK)
    return archive_error(writer, context);
  TPROC_TRY_CTX(context, write_member(writer, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", mtime));
  TPROC_TRY_CTX(context, write_member(writer, "index.json", index, mtime));
  TPROC_TRY_CTX(context, write_directory(writer, "blobs/", mtime));
  TPROC_TRY_CTX(context, write_directory(writer, "blobs/sha256/", mtime));
  TPROC_TRY_CTX(context, write_member(writer, "blobs/sha256/" + manifest_hex, manifest, mtime));
  TPROC_TRY_CTX(context, write_member(writer, "blobs/sha256/" + config_hex, config_blob, mtime));
  {
    std::string name = "blobs/sha256/" + std::string(layer.digest.substr(7));
    UniqueArchiveEntry entry = TPROC_TRY(UniqueArchiveEntry::create());
    set_fixed_fields(entry.get(), name, mtime);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(layer.size));
    TPROC_TRY_CTX(context, write_header(writer, entry.get(), name));
    TPROC_TRY_CTX(context, copy_fd(writer, layer.file.get(), layer.size, name, "the layer"));
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) return archive_error(writer, context);
  if (::fsync(out.get()) != 0) return Error::from_errno(context + ": fsync");
  if (::rename(temporary.path().c_str(), out_path.c_str()) != 0) return Error::from_errno(context + ": rename into place");
  temporary.release();
  return WrittenBundle{oci_digest(manifest_hex), layer.digest, layer.size};
}

}  // namespace tproc::bundle
