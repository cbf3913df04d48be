#pragma once
// BundleCache: bundles unpacked once into a content-addressed directory, reused by later runs.
//
// Layout under the root ($TPROC_HOME/bundles):
//   <hex>/rootfs/       the unpacked layer (hex: the image manifest digest without "sha256:")
//   <hex>/config.json   the tproc config
//   <hex>/bundle.json   the marker, written last (atomically): {"digest","name","version","disk_bytes"}
//   <hex>/last-used     an empty file; its mtime is when ensure() last returned this bundle
//   locks/<hex>         flock(2) per digest: exclusive while unpacking or removing, shared while
//                       a CachedBundle is alive (so remove() refuses a bundle in use)
//   index               "hex dev ino size mtime_ns ctime_ns realpath" per line: bundle files seen
//                       before, so a warm ensure() reads neither the layer nor even index.json
//
// Invariant: a <hex>/ with a marker holds exactly what the manifest <hex> names, verified when it
// was unpacked; without a marker it is debris from a crash and is removed before unpacking again.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bundle/layer_checker.hpp"
#include "common/progress.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::bundle {

/// A bundle in the cache, held in use (a shared lock) for as long as this object lives.
class CachedBundle {
 public:
  /// The unpacked tree: ROOT/<hex>/rootfs.
  const std::string& root() const { return root_; }
  /// The tproc config (Manifest::to_json() as the bundle was built).
  const std::string& config_json() const { return config_json_; }
  /// "sha256:…" of the image manifest.
  const std::string& digest() const { return digest_; }
  /// Whether this ensure() unpacked the bundle (false: it was already in the cache).
  bool freshly_unpacked() const { return freshly_unpacked_; }
  /// The descriptor holding the shared in-use lock: whoever holds a copy keeps the bundle in use.
  int lock_fd() const { return lock_.get(); }

 private:
  friend class BundleCache;
  CachedBundle() = default;

  std::string root_;
  std::string config_json_;
  std::string digest_;
  bool freshly_unpacked_ = false;
  UniqueFd lock_;
};

/// One bundle in the cache, as list() reports it.
struct CacheEntry {
  std::string digest;       ///< "sha256:…" of the image manifest
  std::string name;         ///< the app's name, from the bundle's annotations
  std::string version;      ///< the app's version, from the bundle's annotations
  uint64_t disk_bytes = 0;  ///< space the unpacked tree takes (allocated blocks)
  int64_t last_used = 0;    ///< seconds since the epoch when ensure() last returned it
  std::string root;         ///< the unpacked tree
};

/// The cache of unpacked bundles under one root directory. Safe to use from many threads and
/// processes at once: every change happens under a lock file.
class BundleCache {
 public:
  /// A cache at `root` (created on first use); `limits` bound what unpacking accepts.
  explicit BundleCache(std::string root, BundleLimits limits = {});

  /// The bundle at `bundle_path`, unpacked (and verified) if the cache does not hold it yet;
  /// `progress`, if any, is told how verifying and unpacking go (a warm ensure() tells it nothing).
  Result<CachedBundle> ensure(const std::string& bundle_path, Progress* progress = nullptr) const;

  /// Every complete bundle in the cache, sorted by name, version, digest.
  Result<std::vector<CacheEntry>> list() const;

  /// Removes the bundle `digest` ("sha256:…" or the bare hex); EBUSY while a CachedBundle of it
  /// is alive in any process, ENOENT when the cache does not hold it.
  Result<void> remove(const std::string& digest) const;

  /// The cache's root directory.
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  BundleLimits limits_;
};

}  // namespace tproc::bundle
