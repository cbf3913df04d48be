#pragma once
// LayerExtractor: creates checked layer entries below one directory, and nowhere else.
//
// Every entry is created relative to a descriptor of its parent, reached from the root one
// component at a time with O_NOFOLLOW | O_DIRECTORY, and files are created with O_EXCL |
// O_NOFOLLOW: even if LayerChecker had a hole, the kernel refuses to follow a symlink on the way,
// so nothing can be written outside the root. (libarchive's archive_write_disk cannot do this: it
// resolves names against the process's cwd, and tproc never calls chdir because many programs
// share the process.) Directories are made 0700 and given their own mode by finish(), deepest
// first, so a read-only directory in the layer does not stop its own unpacking.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "bundle/layer_checker.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace tproc::bundle {

/// Creates the entries of one layer below one root directory.
class LayerExtractor {
 public:
  /// An extractor for the existing directory `root` (normally empty and private to the caller).
  static Result<LayerExtractor> open(const std::string& root);

  /// Creates a directory (or accepts an existing one) with `entry.mode` applied by finish().
  Result<void> make_directory(const LayerEntry& entry);
  /// Creates an empty file, mode 0600 until finish_file(): the caller writes its content.
  Result<UniqueFd> make_file(const LayerEntry& entry);
  /// Gives a file written through make_file() its mode.
  Result<void> finish_file(const UniqueFd& file, const LayerEntry& entry);
  /// Creates a symlink.
  Result<void> make_symlink(const LayerEntry& entry);
  /// Creates a hardlink to the earlier entry `entry.link_target`.
  Result<void> make_hardlink(const LayerEntry& entry);

  /// Applies every directory's mode, the root's included (`root_mode`).
  Result<void> finish(mode_t root_mode);

 private:
  explicit LayerExtractor(UniqueFd root) : root_(std::move(root)) {}

  // The directory `components[0, count)`; missing ones are created (mode 0755 by finish()) when
  // `create` is set.
  Result<UniqueFd> open_directory(const std::vector<std::string>& components, size_t count, bool create);
  // The parent directory of an entry, created as needed.
  Result<UniqueFd> open_parent(const std::vector<std::string>& components) {
    return open_directory(components, components.size() - 1, true);
  }

  UniqueFd root_;
  std::vector<std::pair<std::vector<std::string>, mode_t>> directory_modes_;
};

}  // namespace tproc::bundle
