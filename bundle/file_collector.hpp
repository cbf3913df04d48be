#pragma once
// What a manifest's files: list brings into a bundle: every file a pattern matches, and the whole
// tree of every directory one matches ("data", "data/**" and "data/" take the same files), less
// what exclude: matches, less the build's own output. Wildcards never lead out of the project.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/progress.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

/// A file that files: brings, and which pattern brought it.
struct CollectedFile {
  std::string path;       ///< in the bundle: relative to the manifest's directory
  std::string host_path;  ///< where it is read from
  mode_t mode = 0;        ///< its permission bits
  std::string pattern;    ///< the files: entry that matched it (or an ancestor directory of it)
};

/// What to collect and what never to.
struct CollectRequest {
  std::string base;                   ///< the manifest's directory
  std::vector<std::string> patterns;  ///< files:, in manifest order
  std::vector<std::string> excludes;  ///< exclude:, the same pattern language
  std::string output;                 ///< the bundle being written: it and its siblings' bundles are skipped
  bool links_may_leave = false;       ///< an installed tree taken as it is: its links out are followed
  Progress* progress = nullptr;       ///< told "collecting files" as each is found...
  uint64_t counted_before = 0;        ///< ...counting on from the files the caller already has
};

/// Collects the files of `request`, each once, in a stable order. Errors start with "files: " or
/// "exclude: " and name the pattern or the file: a pattern matching nothing, a link a wildcard
/// found leading out of the project, a FIFO, socket or device.
Result<std::vector<CollectedFile>> collect_files(const CollectRequest& request);

}  // namespace tproc::bundle
