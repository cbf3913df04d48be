#pragma once
// BundleArchive: a bundle file (oci_layout.hpp) opened for reading, every blob verified.
//
// Invariant: a BundleArchive that exists has read the whole archive once and found an OCI image
// layout with exactly one image manifest and one layer, and every blob in it matched its digest and
// its descriptor's size. unpack_to() and files() read the archive again and check the layer's
// digest again, so a file changed in between is refused rather than trusted.
//
// Every error is one line that starts with "bundle PATH: " and names the entry and the reason:
//   bundle kv.bundle: layer entry "../etc/passwd": path escapes the bundle
//   bundle kv.bundle: blob sha256:<64 hex>: content does not match its digest (it hashes to sha256:<…>)

#include <cstdint>
#include <string>
#include <vector>

#include "bundle/layer_checker.hpp"
#include "common/progress.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

/// A verified bundle file.
class BundleArchive {
 public:
  /// Opens and verifies the bundle at `path`; `limits` bound what files() and unpack_to() accept.
  /// `progress`, if any, is told "verifying" with the bytes of the file read so far.
  static Result<BundleArchive> open(const std::string& path, BundleLimits limits = {}, Progress* progress = nullptr);

  /// The digest of the image manifest named by index.json, read without verifying anything else:
  /// cheap (the layer is skipped with a seek) and meant only as a cache key — what the key finds
  /// was itself verified against that digest when it was unpacked.
  static Result<std::string> read_manifest_digest(const std::string& path);

  /// The path the bundle was opened from.
  const std::string& path() const { return path_; }
  /// "sha256:…" of the image manifest: the bundle's identity.
  const std::string& manifest_digest() const { return manifest_digest_; }
  /// The tproc config (Manifest::to_json() as the bundle was built), byte for byte.
  const std::string& config_json() const { return config_json_; }
  /// The app's name (manifest title annotation, else the ref name before ':'); may be empty.
  const std::string& name() const { return name_; }
  /// The app's version (manifest version annotation, else the ref name after ':'); may be empty.
  const std::string& version() const { return version_; }
  /// "sha256:…" of the gzip'd layer.
  const std::string& layer_digest() const { return layer_digest_; }
  /// Bytes of the gzip'd layer.
  uint64_t layer_size() const { return layer_size_; }

  /// The layer's entries in archive order, each checked as unpack_to() would; with `digests`,
  /// each file's "sha256:…" too (reads and hashes every file).
  Result<std::vector<LayerEntry>> files(bool digests = false) const;

  /// Unpacks the layer into `dir`, which must not exist (its parent must). Works in a sibling
  /// `dir.partial-XXXXXX` that is renamed to `dir` only once every entry and the layer digest
  /// passed, and removed on any failure: nothing is ever written outside it. `progress`, if any,
  /// is told "unpacking" with the files written and the layer's bytes read, of layer_size().
  Result<void> unpack_to(const std::string& dir, Progress* progress = nullptr) const;

 private:
  BundleArchive() = default;

  std::string path_;
  BundleLimits limits_;
  std::string manifest_digest_;
  std::string config_json_;
  std::string name_;
  std::string version_;
  std::string layer_digest_;
  std::string layer_media_type_;
  uint64_t layer_size_ = 0;
};

}  // namespace tproc::bundle
