#include "bundle/bundle_archive.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <span>

#include "bundle/json_value.hpp"
#include "bundle/layer_extractor.hpp"
#include "bundle/oci_layout.hpp"
#include "bundle/remove_tree.hpp"
#include "bundle/sha256.hpp"
#include "bundle/unique_archive.hpp"
#include "common/printable.hpp"
#include "common/progress.hpp"
#include "common/unique_fd.hpp"

namespace tproc::bundle {

namespace {

// index.json, manifests and configs are small; OCI registries cap manifests at 4 MiB too.
constexpr uint64_t kMaxDocumentBytes = uint64_t{4} << 20;
// What open() keeps in memory of small blobs, summed: a bundle has two (manifest and config).
constexpr uint64_t kMaxKeptBytes = uint64_t{32} << 20;
// A bundle's outer archive has seven entries; more means it is something else.
constexpr uint64_t kMaxOuterEntries = 4096;
constexpr size_t kChunk = size_t{1} << 16;
constexpr std::string_view kBlobPrefix = "blobs/sha256/";

Error invalid(std::string message) { return Error::explained(std::move(message), EINVAL); }

// The name of an outer entry without the "./" some tar writers put in front.
std::string outer_name(struct archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  std::string_view name = raw != nullptr ? raw : "";
  while (name.substr(0, 2) == "./") name.remove_prefix(2);
  return std::string(name);
}

Error corrupt(const ArchiveReader& reader) {
  return Error::explained("archive is truncated or corrupt: " + reader.error_string(), EIO);
}

/// The outer tar of a bundle, open for one pass.
struct OuterArchive {
  UniqueFd fd;
  ArchiveReader reader;
  uint64_t file_size = 0;

  static Result<OuterArchive> open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open");
    struct stat status;
    if (::fstat(fd.get(), &status) != 0) return Error::from_errno("stat");
    if (!S_ISREG(status.st_mode)) return invalid("not a regular file");
    ArchiveReader reader = TPROC_TRY(ArchiveReader::create());
    if (archive_read_support_format_tar(reader.get()) != ARCHIVE_OK ||
        archive_read_support_filter_gzip(reader.get()) != ARCHIVE_OK ||
        archive_read_open_fd(reader.get(), fd.get(), kChunk) != ARCHIVE_OK)
      return Error::explained("not a tar archive: " + reader.error_string(), EINVAL);
    return OuterArchive{std::move(fd), std::move(reader), static_cast<uint64_t>(status.st_size)};
  }

  /// The next entry, or nullptr at the end.
  Result<struct archive_entry*> next() {
    struct archive_entry* entry = nullptr;
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) return static_cast<struct archive_entry*>(nullptr);
    if (status < ARCHIVE_WARN) return corrupt(reader);
    return entry;
  }

  /// Bytes read from the file so far (compressed ones, if the archive is): at most file_size.
  uint64_t file_bytes_read() const { return static_cast<uint64_t>(archive_filter_bytes(reader.get(), -1)); }

  /// Feeds the current entry's data to `sink` in chunks.
  Result<void> read_data(const std::function<void(std::span<const char>)>& sink) {
    std::vector<char> buffer(kChunk);
    for (;;) {
      la_ssize_t got = archive_read_data(reader.get(), buffer.data(), buffer.size());
      if (got < 0) return corrupt(reader);
      if (got == 0) return ok();
      sink(std::span<const char>(buffer.data(), static_cast<size_t>(got)));
    }
  }

  /// The current entry's data, refused past `limit` bytes.
  Result<std::string> read_small(struct archive_entry* entry, const std::string& name, uint64_t limit) {
    if (archive_entry_size(entry) > static_cast<la_int64_t>(limit))
      return invalid(name + " is larger than " + std::to_string(limit) + " bytes");
    std::string bytes;
    TPROC_TRY(read_data([&](std::span<const char> chunk) { bytes.append(chunk.data(), chunk.size()); }));
    if (bytes.size() > limit) return invalid(name + " is larger than " + std::to_string(limit) + " bytes");
    return bytes;
  }
};

/// What one pass over the outer archive found.
struct Blob {
  uint64_t size = 0;
  std::optional<std::string> bytes;  // kept when small enough to be a manifest or config
};

/// An OCI content descriptor.
struct Descriptor {
  std::string media_type;
  std::string hex;
  uint64_t size = 0;
  const JsonValue* annotations = nullptr;
};

Result<Descriptor> parse_descriptor(const JsonValue& value, const std::string& where) {
  if (!value.is_object()) return invalid(where + ": not an object");
  Descriptor descriptor;
  const JsonValue* media_type = value.find("mediaType");
  if (media_type == nullptr || !media_type->is_string()) return invalid(where + ": no \"mediaType\" string");
  descriptor.media_type = media_type->text();
  const JsonValue* digest = value.find("digest");
  if (digest == nullptr || !digest->is_string()) return invalid(where + ": no \"digest\" string");
  auto hex = digest_hex(digest->text());
  if (!hex) return invalid(where + ": " + hex.error().message());
  descriptor.hex = *hex;
  const JsonValue* size = value.find("size");
  if (size == nullptr || !size->integer() || *size->integer() < 0)
    return invalid(where + ": no \"size\" that is a whole number of bytes");
  descriptor.size = static_cast<uint64_t>(*size->integer());
  const JsonValue* annotations = value.find("annotations");
  if (annotations != nullptr && annotations->is_object()) descriptor.annotations = annotations;
  return descriptor;
}

std::string annotation(const JsonValue* annotations, std::string_view key) {
  if (annotations == nullptr) return {};
  const JsonValue* value = annotations->find(key);
  return value != nullptr && value->is_string() ? value->text() : std::string();
}

Result<JsonValue> parse_document(std::string_view text, const std::string& what) {
  auto value = JsonValue::parse(text);
  if (!value) return invalid(what + ": not valid JSON: " + value.error().message());
  if (!value->is_object()) return invalid(what + ": not a JSON object");
  return std::move(*value);
}

// The one image manifest descriptor index.json names.
Result<Descriptor> manifest_descriptor(const JsonValue& index) {
  const JsonValue* manifests = index.find("manifests");
  if (manifests == nullptr || !manifests->is_array()) return invalid("index.json: no \"manifests\" array");
  std::optional<Descriptor> found;
  size_t count = 0;
  for (size_t i = 0; i < manifests->items().size(); ++i) {
    Descriptor descriptor =
        TPROC_TRY(parse_descriptor(manifests->items()[i], "index.json: manifests[" + std::to_string(i) + "]"));
    if (descriptor.media_type != kMediaTypeImageManifest) continue;
    ++count;
    found = std::move(descriptor);
  }
  if (count == 0) return invalid("index.json names no image manifest");
  if (count > 1)
    return invalid("index.json names " + std::to_string(count) + " image manifests; a bundle has exactly one");
  return std::move(*found);
}

Error digest_mismatch(const std::string& hex, const std::string& actual) {
  return invalid("blob " + oci_digest(hex) + ": content does not match its digest (it hashes to " +
                 oci_digest(actual) + ")");
}

/// Pulls a layer's bytes out of the outer archive for an inner reader, hashing them on the way.
struct LayerSource {
  struct archive* outer = nullptr;
  Sha256 hash;
  uint64_t consumed = 0;
  std::vector<char> buffer = std::vector<char>(kChunk);
  const std::function<void(uint64_t)>* on_read = nullptr;  ///< told `consumed` after each block
};

la_ssize_t read_layer_block(struct archive* inner, void* client, const void** block) {
  auto* source = static_cast<LayerSource*>(client);
  la_ssize_t got = archive_read_data(source->outer, source->buffer.data(), source->buffer.size());
  if (got < 0) {
    const char* why = archive_error_string(source->outer);
    archive_set_error(inner, EIO, "%s", why != nullptr ? why : "read error");
    return -1;
  }
  source->hash.update(std::as_bytes(std::span(source->buffer.data(), static_cast<size_t>(got))));
  source->consumed += static_cast<uint64_t>(got);
  if (source->on_read != nullptr && *source->on_read) (*source->on_read)(source->consumed);
  *block = source->buffer.data();
  return got;
}

/// The content of the layer entry being visited, counted against the limits as it is read.
class ContentReader {
 public:
  ContentReader(struct archive* layer, LayerChecker& checker, const ArchiveReader& errors)
      : layer_(layer), checker_(checker), errors_(errors) {}

  /// Feeds the content to `sink` chunk by chunk.
  Result<void> read_all(const LayerEntry& entry, const std::function<Result<void>(std::span<const char>)>& sink) {
    std::vector<char> buffer(kChunk);
    for (;;) {
      la_ssize_t got = archive_read_data(layer_, buffer.data(), buffer.size());
      if (got < 0) return Error::explained("layer: truncated or corrupt: " + errors_.error_string(), EIO);
      if (got == 0) return ok();
      TPROC_TRY(checker_.count_content(entry.path, static_cast<uint64_t>(got)));
      TPROC_TRY(sink(std::span<const char>(buffer.data(), static_cast<size_t>(got))));
    }
  }

 private:
  struct archive* layer_;
  LayerChecker& checker_;
  const ArchiveReader& errors_;
};

using EntryVisitor = std::function<Result<void>(const LayerEntry&, ContentReader&)>;

// One pass over the layer `hex` of the bundle at `path`: every entry checked, then visited; the
// layer's digest and size checked at the end. `on_read` is told how many of the layer's `size`
// bytes were read, as they are.
Result<void> stream_layer(const std::string& path, const std::string& hex, uint64_t size, bool gzip,
                          BundleLimits limits, const EntryVisitor& visit,
                          const std::function<void(uint64_t)>& on_read = nullptr) {
  OuterArchive outer = TPROC_TRY(OuterArchive::open(path));
  std::string wanted = std::string(kBlobPrefix) + hex;
  for (;;) {
    struct archive_entry* entry = TPROC_TRY(outer.next());
    if (entry == nullptr) return invalid("layer blob " + oci_digest(hex) + " is missing from the archive");
    if (outer_name(entry) == wanted && archive_entry_filetype(entry) == AE_IFREG) {
      if (static_cast<uint64_t>(archive_entry_size(entry)) != size)
        return invalid("blob " + oci_digest(hex) + " is " + std::to_string(archive_entry_size(entry)) +
                       " bytes, but its descriptor says " + std::to_string(size));
      break;
    }
  }

  LayerSource source;
  source.outer = outer.reader.get();
  source.on_read = &on_read;
  ArchiveReader layer = TPROC_TRY(ArchiveReader::create());
  if (archive_read_support_format_tar(layer.get()) != ARCHIVE_OK ||
      (gzip && archive_read_support_filter_gzip(layer.get()) != ARCHIVE_OK) ||
      archive_read_open(layer.get(), &source, nullptr, read_layer_block, nullptr) != ARCHIVE_OK)
    return Error::explained("layer: not a tar archive: " + layer.error_string(), EINVAL);

  LayerChecker checker(limits);
  ContentReader content(layer.get(), checker, layer);
  for (;;) {
    struct archive_entry* header = nullptr;
    int status = archive_read_next_header(layer.get(), &header);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) return Error::explained("layer: truncated or corrupt: " + layer.error_string(), EIO);
    LayerEntry entry = TPROC_TRY(checker.check(header));
    TPROC_TRY(visit(entry, content));
  }
  // The tar ends before the gzip trailer and padding: hash the rest of the blob too.
  TPROC_TRY(outer.read_data([&](std::span<const char> chunk) {
    source.hash.update(std::as_bytes(chunk));
    source.consumed += chunk.size();
  }));
  std::string actual = TPROC_TRY(source.hash.finish_hex());
  if (source.consumed != size)
    return invalid("blob " + oci_digest(hex) + " is " + std::to_string(source.consumed) +
                   " bytes, but its descriptor says " + std::to_string(size));
  if (actual != hex) return digest_mismatch(hex, actual);
  return ok();
}

Result<void> write_all(int fd, std::span<const char> bytes, const LayerEntry& entry) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return Error::from_errno("layer entry \"" + printable(entry.path) + "\": write");
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
  return ok();
}

// Removes a partial unpack unless it was renamed into place.
class PartialTree {
 public:
  explicit PartialTree(std::string path) : path_(std::move(path)) {}
  PartialTree(const PartialTree&) = delete;
  PartialTree& operator=(const PartialTree&) = delete;
  ~PartialTree() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

}  // namespace

Result<BundleArchive> BundleArchive::open(const std::string& path, BundleLimits limits, Progress* progress) {
  std::string context = "bundle " + path;
  OuterArchive outer = TPROC_TRY_CTX(context, OuterArchive::open(path));

  std::optional<std::string> layout_text;
  std::optional<std::string> index_text;
  std::map<std::string, Blob> blobs;
  uint64_t kept = 0;
  uint64_t entries = 0;
  for (;;) {
    struct archive_entry* entry = TPROC_TRY_CTX(context, outer.next());
    if (entry == nullptr) break;
    if (++entries > kMaxOuterEntries)
      return invalid(context + ": more than " + std::to_string(kMaxOuterEntries) + " entries: not a bundle");
    std::string name = outer_name(entry);
    bool regular = archive_entry_filetype(entry) == AE_IFREG;
    bool is_blob = name.starts_with(kBlobPrefix) && name.size() > kBlobPrefix.size() &&
                   name.find('/', kBlobPrefix.size()) == std::string::npos;
    if (name == "oci-layout" || name == "index.json") {
      if (!regular) return invalid(context + ": " + name + " is not a regular file");
      auto& slot = name == "oci-layout" ? layout_text : index_text;
      if (slot) return invalid(context + ": " + name + " appears twice");
      slot = TPROC_TRY_CTX(context, outer.read_small(entry, name, kMaxDocumentBytes));
    } else if (is_blob) {
      std::string hex = name.substr(kBlobPrefix.size());
      if (!is_sha256_hex(hex)) return invalid(context + ": " + name + ": blob name is not a sha256 digest");
      if (!regular) return invalid(context + ": " + name + " is not a regular file");
      if (blobs.count(hex) != 0) return invalid(context + ": " + name + " appears twice");
      uint64_t size = static_cast<uint64_t>(archive_entry_size(entry));
      bool keep = size <= kMaxDocumentBytes && kept + size <= kMaxKeptBytes;
      Blob blob;
      std::string bytes;
      Sha256 hash;
      uint64_t read = 0;
      TPROC_TRY_CTX(context, outer.read_data([&](std::span<const char> chunk) {
        hash.update(std::as_bytes(chunk));
        read += chunk.size();
        if (keep) bytes.append(chunk.data(), chunk.size());
        report_progress(progress, "verifying", outer.file_bytes_read(), outer.file_size, ProgressUnit::bytes);
      }));
      std::string actual = TPROC_TRY_CTX(context, hash.finish_hex());
      if (actual != hex) return digest_mismatch(hex, actual).context(context);
      blob.size = read;
      if (keep) {
        kept += size;
        blob.bytes = std::move(bytes);
      }
      blobs.emplace(hex, std::move(blob));
    }
    // Anything else (directories, files OCI does not define) is not ours to judge: skipped.
  }

  if (!layout_text) return invalid(context + ": no oci-layout file: not an OCI image layout");
  if (!index_text) return invalid(context + ": no index.json: not an OCI image layout");
  JsonValue layout = TPROC_TRY_CTX(context, parse_document(*layout_text, "oci-layout"));
  const JsonValue* layout_version = layout.find("imageLayoutVersion");
  if (layout_version == nullptr || !layout_version->is_string() || layout_version->text() != "1.0.0")
    return invalid(context + ": oci-layout: imageLayoutVersion is not \"1.0.0\"");

  // Fetches a blob that a trusted document names, checking it is there with the size it is said
  // to have (its digest was checked while reading).
  auto fetch = [&](const Descriptor& descriptor, const std::string& named_by, bool need_bytes) -> Result<const Blob*> {
    auto found = blobs.find(descriptor.hex);
    if (found == blobs.end())
      return invalid(named_by + " names blob " + oci_digest(descriptor.hex) + ", which the archive does not contain");
    if (found->second.size != descriptor.size)
      return invalid("blob " + oci_digest(descriptor.hex) + " is " + std::to_string(found->second.size) +
                     " bytes, but its descriptor in " + named_by + " says " + std::to_string(descriptor.size));
    if (need_bytes && !found->second.bytes)
      return invalid("blob " + oci_digest(descriptor.hex) + " (" + named_by + ") is too large for a JSON document");
    return &found->second;
  };

  JsonValue index = TPROC_TRY_CTX(context, parse_document(*index_text, "index.json"));
  Descriptor manifest_ref = TPROC_TRY_CTX(context, manifest_descriptor(index));
  const Blob* manifest_blob = TPROC_TRY_CTX(context, fetch(manifest_ref, "index.json", true));
  JsonValue manifest = TPROC_TRY_CTX(context, parse_document(*manifest_blob->bytes, "image manifest"));
  const JsonValue* schema = manifest.find("schemaVersion");
  if (schema == nullptr || schema->integer() != 2)
    return invalid(context + ": image manifest: schemaVersion is not 2");
  if (const JsonValue* type = manifest.find("mediaType"); type != nullptr && type->text() != kMediaTypeImageManifest)
    return invalid(context + ": image manifest: mediaType is \"" + printable(type->text()) + "\"");

  const JsonValue* config_value = manifest.find("config");
  if (config_value == nullptr) return invalid(context + ": image manifest: no \"config\"");
  Descriptor config_ref = TPROC_TRY_CTX(context, parse_descriptor(*config_value, "image manifest: config"));
  const JsonValue* layers = manifest.find("layers");
  if (layers == nullptr || !layers->is_array()) return invalid(context + ": image manifest: no \"layers\" array");
  if (layers->items().size() != 1)
    return invalid(context + ": image manifest has " + std::to_string(layers->items().size()) +
                   " layers; a bundle has exactly one");
  Descriptor layer_ref = TPROC_TRY_CTX(context, parse_descriptor(layers->items()[0], "image manifest: layers[0]"));
  if (layer_ref.media_type != kMediaTypeLayerTarGzip && layer_ref.media_type != kMediaTypeLayerTar)
    return invalid(context + ": image manifest: layer media type \"" + printable(layer_ref.media_type) + "\" is not a tar layer");

  const Blob* config_blob = TPROC_TRY_CTX(context, fetch(config_ref, "the image manifest", true));
  TPROC_TRY_CTX(context, fetch(layer_ref, "the image manifest", false));

  BundleArchive bundle;
  if (config_ref.media_type == kMediaTypeImageConfig) {
    JsonValue config = TPROC_TRY_CTX(context, parse_document(*config_blob->bytes, "image config"));
    const JsonValue* tproc = config.find(kTprocConfigMember);
    if (tproc == nullptr || !tproc->is_object())
      return invalid(context + ": image config has no \"tproc\" object: an OCI image, but not a tproc bundle");
    bundle.config_json_ = std::string(tproc->source_in(*config_blob->bytes));
  } else if (config_ref.media_type == kMediaTypeTprocConfig) {
    TPROC_TRY_CTX(context, parse_document(*config_blob->bytes, "tproc config"));
    bundle.config_json_ = *config_blob->bytes;
  } else {
    return invalid(context + ": image manifest: config media type \"" + printable(config_ref.media_type) + "\" is not one tproc reads");
  }

  const JsonValue* manifest_annotations = manifest.find("annotations");
  bundle.name_ = annotation(manifest_annotations, kAnnotationTitle);
  bundle.version_ = annotation(manifest_annotations, kAnnotationVersion);
  if (bundle.name_.empty()) {
    std::string ref = annotation(manifest_ref.annotations, kAnnotationRefName);
    size_t colon = ref.rfind(':');
    bundle.name_ = ref.substr(0, colon);
    if (colon != std::string::npos && bundle.version_.empty()) bundle.version_ = ref.substr(colon + 1);
  }
  bundle.path_ = path;
  bundle.limits_ = limits;
  bundle.manifest_digest_ = oci_digest(manifest_ref.hex);
  bundle.layer_digest_ = oci_digest(layer_ref.hex);
  bundle.layer_media_type_ = layer_ref.media_type;
  bundle.layer_size_ = layer_ref.size;
  return bundle;
}

Result<std::string> BundleArchive::read_manifest_digest(const std::string& path) {
  std::string context = "bundle " + path;
  OuterArchive outer = TPROC_TRY_CTX(context, OuterArchive::open(path));
  for (uint64_t entries = 0; entries < kMaxOuterEntries; ++entries) {
    struct archive_entry* entry = TPROC_TRY_CTX(context, outer.next());
    if (entry == nullptr) break;
    if (outer_name(entry) != "index.json" || archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string text = TPROC_TRY_CTX(context, outer.read_small(entry, "index.json", kMaxDocumentBytes));
    JsonValue index = TPROC_TRY_CTX(context, parse_document(text, "index.json"));
    Descriptor manifest = TPROC_TRY_CTX(context, manifest_descriptor(index));
    return oci_digest(manifest.hex);
  }
  return invalid(context + ": no index.json: not an OCI image layout");
}

Result<std::vector<LayerEntry>> BundleArchive::files(bool digests) const {
  std::vector<LayerEntry> listing;
  std::string hex = layer_digest_.substr(7);
  TPROC_TRY_CTX("bundle " + path_,
                stream_layer(path_, hex, layer_size_, layer_media_type_ == kMediaTypeLayerTarGzip, limits_,
                             [&](const LayerEntry& entry, ContentReader& content) -> Result<void> {
                               if (entry.components.empty()) return ok();  // "./": the root itself
                               LayerEntry listed = entry;
                               if (digests && entry.type == LayerEntry::Type::file) {
                                 Sha256 hash;
                                 TPROC_TRY(content.read_all(entry, [&](std::span<const char> chunk) -> Result<void> {
                                   hash.update(std::as_bytes(chunk));
                                   return ok();
                                 }));
                                 listed.digest = oci_digest(TPROC_TRY(hash.finish_hex()));
                               }
                               listing.push_back(std::move(listed));
                               return ok();
                             }));
  return listing;
}

Result<void> BundleArchive::unpack_to(const std::string& dir, Progress* progress) const {
  std::string context = "bundle " + path_;
  struct stat status;
  if (::lstat(dir.c_str(), &status) == 0)
    return Error::explained(context + ": unpack to " + dir + ": already exists", EEXIST);
  std::string partial = dir + ".partial-XXXXXX";
  if (::mkdtemp(partial.data()) == nullptr) return Error::from_errno(context + ": create " + partial);
  PartialTree cleanup(partial);

  LayerExtractor extractor = TPROC_TRY_CTX(context, LayerExtractor::open(partial));
  std::string hex = layer_digest_.substr(7);
  uint64_t files = 0;
  uint64_t read = 0;
  std::function<void(uint64_t)> on_read;
  if (progress != nullptr)
    on_read = [&](uint64_t consumed) {
      read = consumed;
      progress->report_files("unpacking", files, read, layer_size_);
    };
  TPROC_TRY_CTX(context,
                stream_layer(path_, hex, layer_size_, layer_media_type_ == kMediaTypeLayerTarGzip, limits_,
                             [&](const LayerEntry& entry, ContentReader& content) -> Result<void> {
                               switch (entry.type) {
                                 case LayerEntry::Type::directory: return extractor.make_directory(entry);
                                 case LayerEntry::Type::symlink: return extractor.make_symlink(entry);
                                 case LayerEntry::Type::hardlink: return extractor.make_hardlink(entry);
                                 case LayerEntry::Type::file: break;
                               }
                               UniqueFd file = TPROC_TRY(extractor.make_file(entry));
                               TPROC_TRY(content.read_all(entry, [&](std::span<const char> chunk) {
                                 return write_all(file.get(), chunk, entry);
                               }));
                               TPROC_TRY(extractor.finish_file(file, entry));
                               ++files;
                               if (progress != nullptr) progress->report_files("unpacking", files, read, layer_size_);
                               return ok();
                             },
                             on_read));
  // The layer's digest held, so all of it was read: the gzip trailer too, which no block reported.
  if (progress != nullptr) progress->report_files("unpacking", files, layer_size_, layer_size_);
  TPROC_TRY_CTX(context, extractor.finish(0755));
  // RENAME_NOREPLACE: if someone made `dir` meanwhile, fail rather than replace what they made.
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0)
    return Error::from_errno(context + ": rename " + partial + " to " + dir);
  cleanup.release();
  return ok();
}

}  // namespace tproc::bundle
