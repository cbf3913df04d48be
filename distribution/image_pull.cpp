#include "distribution/image_pull.hpp"

#include <cerrno>

#include "bundle/bundle_archive.hpp"
#include "bundle/json_value.hpp"
#include "bundle/oci_layout.hpp"
#include "bundle/sha256.hpp"
#include "distribution/skopeo.hpp"

namespace tproc::distribution {

namespace {

// What the registry's spec and tproc's reader cap a manifest and a config at.
constexpr uint64_t kMaxDocumentBytes = uint64_t{4} << 20;
// What an oci-archive adds to its blobs: tar headers and padding, index.json, oci-layout.
constexpr uint64_t kArchiveOverheadBytes = uint64_t{64} << 10;

Error refused(std::string message) { return Error::explained(std::move(message), EINVAL); }

/// The declared size of the descriptor `value`, or an error naming `what`.
Result<uint64_t> declared_size(const bundle::JsonValue* value, const std::string& what) {
  const bundle::JsonValue* size = value != nullptr && value->is_object() ? value->find("size") : nullptr;
  if (size == nullptr || !size->integer() || *size->integer() < 0)
    return refused("the image manifest's " + what + " has no size");
  return static_cast<uint64_t>(*size->integer());
}

/// Step 2: the manifest describes a bundle of sizes within `limits`; the bytes its config and layer
/// declare, together.
Result<uint64_t> check_manifest(const std::string& raw, const bundle::BundleLimits& limits) {
  auto parsed = bundle::JsonValue::parse(raw);
  if (!parsed || !parsed->is_object()) return refused("the registry's manifest is not a JSON object");
  const bundle::JsonValue& manifest = *parsed;
  const bundle::JsonValue* media_type = manifest.find("mediaType");
  std::string type = media_type != nullptr && media_type->is_string() ? media_type->text() : "";
  if (type == bundle::kMediaTypeImageIndex || type == "application/vnd.docker.distribution.manifest.list.v2+json")
    return refused("an image index (one image per platform), not a bundle: pull the platform's own digest");
  if (!type.empty() && type != bundle::kMediaTypeImageManifest)
    return refused("a manifest of type " + type + ", not a bundle (an OCI image manifest)");
  const bundle::JsonValue* layers = manifest.find("layers");
  if (layers == nullptr || !layers->is_array() || layers->items().size() != 1)
    return refused("not a bundle: a bundle's image has exactly one layer");
  uint64_t config_size = TPROC_TRY(declared_size(manifest.find("config"), "config"));
  if (config_size > kMaxDocumentBytes)
    return refused("its config declares " + std::to_string(config_size) + " bytes, more than the " +
                   std::to_string(kMaxDocumentBytes) + " a config may have");
  uint64_t layer_size = TPROC_TRY(declared_size(&layers->items()[0], "layer"));
  if (layer_size > limits.max_total_bytes)
    return refused("its layer declares " + std::to_string(layer_size) + " bytes, more than the " +
                   std::to_string(limits.max_total_bytes) + " a bundle may hold");
  return config_size + layer_size;
}

std::string tls_flag(const char* name, const ImageReference& reference, const TransferOptions& options) {
  return std::string("--") + name + "=" + (verifies_tls(reference, options) ? "true" : "false");
}

}  // namespace

Result<PulledImage> pull_image(const ImageReference& reference, const TransferOptions& options, const ImageStore& store,
                               const bundle::BundleCache& cache, bundle::BundleLimits limits) {
  ScratchDirectory scratch = TPROC_TRY(store.scratch());

  // 1. The manifest alone, hashed here: whatever the registry says its digest is.
  std::string raw = TPROC_TRY(run_skopeo({.args = {"inspect", "--raw", "--retry-times=3", tls_flag("tls-verify", reference, options),
                                                  "docker://" + (reference.digest().empty() ? reference.full() : reference.pinned(reference.digest()))},
                                          .scratch_dir = scratch.path(),
                                          .registry = reference.registry(),
                                          .capture_stdout = true}));
  if (raw.size() > kMaxDocumentBytes)
    return refused("its manifest is larger than " + std::to_string(kMaxDocumentBytes) + " bytes");
  const std::string digest = bundle::oci_digest(TPROC_TRY(bundle::sha256_hex(raw)));
  if (!reference.digest().empty() && digest != reference.digest())
    return Error::explained("the registry's manifest hashes to " + digest + ", not the pinned digest", EBADMSG);
  // 2. What it promises, checked before anything large is fetched.
  const uint64_t declared = TPROC_TRY(check_manifest(raw, limits));

  // 3. Exactly that manifest and its blobs, into the scratch directory. No file skopeo writes may
  // grow past what the manifest declares (the archive holds them all, plus tar's headers): a
  // registry that sends more than it declared is stopped there, not when the disk is full.
  const std::string file = scratch.path() + "/image.bundle";
  std::vector<std::string> copy{"copy", "--retry-times=3", tls_flag("src-tls-verify", reference, options)};
  if (!options.progress) copy.push_back("--quiet");
  copy.push_back("docker://" + reference.pinned(digest));
  copy.push_back("oci-archive:" + file);
  const SkopeoCall call{.args = copy,
                        .scratch_dir = scratch.path(),
                        .max_file_bytes = raw.size() + declared + kArchiveOverheadBytes,
                        .registry = reference.registry(),
                        .progress = options.progress};
  TPROC_TRY(run_skopeo_copy(call, file));

  // 4. tproc's own verification of every blob, then the layer's checks as the cache unpacks it.
  bundle::BundleArchive archive = TPROC_TRY(bundle::BundleArchive::open(file, limits, options.unpack_progress));
  if (archive.manifest_digest() != digest)
    return Error::explained("skopeo wrote an image of manifest " + archive.manifest_digest() + ", not " + digest, EBADMSG);
  // 5. Into the store, unpacked, and only then named.
  std::string stored = TPROC_TRY(store.adopt(file, digest));
  if (auto unpacked = cache.ensure(stored, options.unpack_progress); !unpacked) {
    (void)store.remove(digest);
    // The refusal names the image, not the store's file: that is gone with it.
    std::string text = unpacked.error().describe();
    const std::string file_context = "bundle " + stored + ": ";
    if (text.starts_with(file_context)) text = "image " + digest + ": " + text.substr(file_context.size());
    return Error::explained(std::move(text), unpacked.error().code());
  }
  if (!reference.tag().empty()) TPROC_TRY(store.tag(reference.repository() + ":" + reference.tag(), digest));
  return PulledImage{digest, stored};
}

Result<std::string> find_or_pull(const ImageReference& reference, const TransferOptions& options,
                                 const ImageStore& store, const bundle::BundleCache& cache, bool& pulled) {
  pulled = false;
  std::optional<std::string> digest;
  if (!reference.digest().empty()) digest = reference.digest();
  else digest = TPROC_TRY(store.resolve(reference.full()));
  if (digest)
    if (std::optional<std::string> archive = TPROC_TRY(store.find(*digest))) return *archive;
  PulledImage image = TPROC_TRY(pull_image(reference, options, store, cache));
  pulled = true;
  return image.archive;
}

}  // namespace tproc::distribution
