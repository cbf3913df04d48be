#pragma once
// LayerChecker: decides, header by header, whether a bundle's layer may be unpacked.
//
// It refuses what could reach outside the target directory or smuggle privilege in: absolute
// names, "..", symlinks whose target climbs out (bundle_path.hpp), any entry under a symlink (a file
// written through a link), hardlinks to anything but an earlier file of the layer, device nodes,
// fifos, sockets, setuid/setgid bits (refused, not stripped: a bundle that asks for them is not one
// we built), duplicates, and more entries or content bytes than the limits allow. It is enforced
// while reading: the declared size of each file is checked before its data is read, and the bytes
// actually read are counted again as they come.

#include <archive_entry.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

namespace tproc::bundle {

/// How much one bundle's layer may hold; the defaults suit any real program.
struct BundleLimits {
  uint64_t max_total_bytes = uint64_t{4} << 30;  ///< file content, summed over the layer
  uint64_t max_entries = 100'000;                ///< entries of every kind
};

/// One entry of a layer that passed the checks.
struct LayerEntry {
  enum class Type { file, directory, symlink, hardlink };

  std::string path;                     ///< canonical: "bin/app" (empty for the root itself)
  std::vector<std::string> components;  ///< path split at '/'
  Type type = Type::file;
  uint32_t mode = 0;         ///< permission bits (rwx only: anything more was refused)
  uint64_t size = 0;         ///< a file's content bytes as declared
  std::string link_target;   ///< symlink: the target as written; hardlink: the canonical path it links to
  std::string digest;        ///< "sha256:…" of a file's content, when a listing asked for it
};

/// The stateful checker for one pass over one layer.
class LayerChecker {
 public:
  explicit LayerChecker(BundleLimits limits) : limits_(limits) {}

  /// Checks the next header. A refusal (EINVAL) reads `layer entry "NAME": reason`.
  Result<LayerEntry> check(struct archive_entry* header);

  /// Counts `bytes` more content of the entry `path`; refuses once the layer passes the limit.
  Result<void> count_content(const std::string& path, uint64_t bytes);

 private:
  BundleLimits limits_;
  uint64_t entries_ = 0;
  uint64_t declared_bytes_ = 0;
  uint64_t read_bytes_ = 0;
  std::unordered_map<std::string, LayerEntry::Type> seen_;  // canonical path → type
};

}  // namespace tproc::bundle
