#pragma once
// ImageStore: the images pulled from registries, kept as the bundle files they are, and the
// references (tags) that name them.
//
// Layout under the root ($TPROC_HOME/images, private like the bundle cache):
//   <hex>.bundle   a pulled image as one bundle file (an OCI layout in a tar), verified when pulled
//   references     "sha256:<hex> REFERENCE" per line: what `tproc pull` or `run` last found a tag at
//   lock           flock(2): exclusive while references changes
//   tmp-XXXXXX/    a pull or push in progress (removed when it ends, whatever the outcome)
//
// The bundle files are what `tproc run REF` unpacks (again after `tproc prune`); the unpacked
// trees are the bundle cache's (bundle/bundle_cache.hpp), keyed by the same manifest digest.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "distribution/image_reference.hpp"

namespace tproc::distribution {

/// A private scratch directory, removed with everything in it when this goes. Move-only.
class ScratchDirectory {
 public:
  ScratchDirectory(ScratchDirectory&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDirectory& operator=(ScratchDirectory&&) = delete;
  ScratchDirectory(const ScratchDirectory&) = delete;
  ~ScratchDirectory();
  /// Its path.
  const std::string& path() const { return path_; }

 private:
  friend class ImageStore;
  explicit ScratchDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

/// One stored image, as list() reports it.
struct StoredImage {
  std::string digest;                   ///< "sha256:…" of the image manifest
  std::vector<std::string> references;  ///< normalised references naming it, sorted
  uint64_t archive_bytes = 0;           ///< size of its bundle file (0: only references, no file)
  std::string archive;                  ///< path of its bundle file
};

/// The store of pulled images under one root directory.
class ImageStore {
 public:
  /// A store at `root` (created, private, on first use).
  explicit ImageStore(std::string root) : root_(std::move(root)) {}

  /// The bundle file of the image `digest` if the store holds it.
  Result<std::optional<std::string>> find(const std::string& digest) const;
  /// The digest `reference` (normalised: ImageReference::full()) names here, if any.
  Result<std::optional<std::string>> resolve(const std::string& reference) const;

  /// A fresh private scratch directory inside the store (same file system: adopt() renames).
  Result<ScratchDirectory> scratch() const;
  /// Moves the verified bundle file `file` into the store as the image `digest`; its new path.
  Result<std::string> adopt(const std::string& file, const std::string& digest) const;
  /// Records that `reference` names `digest` (replacing what it named before).
  Result<void> tag(const std::string& reference, const std::string& digest) const;

  /// Every image the store holds or names, sorted by digest.
  Result<std::vector<StoredImage>> list() const;
  /// Forgets `reference`; the digest it named (ENOENT when it named none).
  Result<std::string> untag(const std::string& reference) const;
  /// Removes the image `digest`: its bundle file and every reference to it.
  Result<void> remove(const std::string& digest) const;

  /// The store's root directory.
  const std::string& root() const { return root_; }

 private:
  struct Line {
    std::string digest;
    std::string reference;
  };
  Result<std::vector<Line>> read_references() const;
  Result<void> write_references(const std::vector<Line>& lines) const;

  std::string root_;
};

}  // namespace tproc::distribution
