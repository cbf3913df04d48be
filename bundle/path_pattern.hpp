#pragma once
// The pattern language of a manifest's files: and exclude: lists, as gitignore and compose read
// it: '/'-separated segments, each matched by fnmatch(3) (*, ?, [...], \ escapes; a wildcard never
// crosses a '/', and matches names starting with '.'), and a segment that is exactly `**` matching
// zero or more whole directories. glibc has no `**` (glob(3) reads it as `*`) and Debian packages
// no gitignore matcher for C++, so the segment walk is here and each segment is fnmatch's.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::bundle {

/// One compiled files:/exclude: pattern; paths it is asked about are relative, '/'-separated.
class PathPattern {
 public:
  /// Compiles `text`; refuses an empty pattern, an absolute one, '..' and empty segments.
  static Result<PathPattern> parse(std::string_view text);

  /// Whether `path` (relative, no leading or trailing '/') matches the whole pattern.
  bool matches(std::string_view path) const;
  /// Whether some path strictly below the directory `directory` could match ("" is the top).
  bool may_match_below(std::string_view directory) const;
  /// The leading segments without wildcards, joined by '/' ("" when the first one has one).
  std::string literal_prefix() const;
  /// True when no segment has a wildcard: the pattern names one path.
  bool is_literal() const;
  /// The pattern as written.
  const std::string& text() const { return text_; }

 private:
  PathPattern() = default;
  /// The pattern positions reachable after matching the segments of `path`, as a bit set.
  std::vector<bool> reach(std::string_view path) const;
  /// Adds to `states` the positions reachable from them by letting a `**` match nothing.
  void close(std::vector<bool>& states) const;

  std::string text_;
  std::vector<std::string> segments_;
};

}  // namespace tproc::bundle
