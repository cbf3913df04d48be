#include "bundle/path_pattern.hpp"

#include <fnmatch.h>

#include <cerrno>

#include "common/printable.hpp"

namespace tproc::bundle {
namespace {

constexpr std::string_view kAnyDirectories = "**";

bool has_wildcard(std::string_view segment) { return segment.find_first_of("*?[\\") != std::string_view::npos; }

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

Result<PathPattern> PathPattern::parse(std::string_view text) {
  const std::string quoted = "'" + printable(std::string(text)) + "'";
  if (text.empty()) return Error::explained("empty pattern", EINVAL);
  if (text.starts_with("/")) return Error::explained(quoted + " must be a relative path inside the manifest's directory", EINVAL);
  PathPattern pattern;
  pattern.text_ = std::string(text);
  // A trailing '/' names the same directory ("data/" is "data"); "./" segments name nothing.
  std::string_view body = text;
  while (body.ends_with("/")) body.remove_suffix(1);
  for (std::string_view segment : split(body)) {
    if (segment == ".") continue;
    if (segment.empty()) return Error::explained(quoted + " has an empty segment ('//')", EINVAL);
    if (segment == "..")
      return Error::explained(quoted + " must be a relative path inside the manifest's directory ('..' leads out)", EINVAL);
    // Two `**` in a row match what one does.
    if (segment == kAnyDirectories && !pattern.segments_.empty() && pattern.segments_.back() == kAnyDirectories) continue;
    pattern.segments_.emplace_back(segment);
  }
  if (pattern.segments_.empty()) return Error::explained(quoted + " names the manifest's directory itself: use '**'", EINVAL);
  return pattern;
}

void PathPattern::close(std::vector<bool>& states) const {
  // A trailing `**` matches one or more names, as gitignore's "abc/**": everything inside the
  // directory, not the directory itself. Elsewhere it may match no directory at all.
  const size_t last = segments_.size() - 1;
  for (size_t i = 0; i < last; ++i)
    if (states[i] && segments_[i] == kAnyDirectories) states[i + 1] = true;
}

std::vector<bool> PathPattern::reach(std::string_view path) const {
  // An NFA over the pattern's positions: linear in segments x path depth, whatever the `**`s.
  std::vector<bool> states(segments_.size() + 1, false);
  states[0] = true;
  close(states);
  for (std::string_view part : split(path)) {
    const std::string name(part);
    std::vector<bool> next(states.size(), false);
    bool any = false;
    for (size_t i = 0; i < segments_.size(); ++i) {
      if (!states[i]) continue;
      if (segments_[i] == kAnyDirectories) {
        next[i] = true;
        if (i + 1 == segments_.size()) next[i + 1] = true;  // a trailing `**` has matched one name
      }
      else if (::fnmatch(segments_[i].c_str(), name.c_str(), 0) == 0) next[i + 1] = true;
      else continue;
      any = true;
    }
    if (!any) return next;
    close(next);
    states = std::move(next);
  }
  return states;
}

bool PathPattern::matches(std::string_view path) const { return reach(path).back(); }

bool PathPattern::may_match_below(std::string_view directory) const {
  const std::vector<bool> states = reach(directory);
  for (size_t i = 0; i < segments_.size(); ++i)
    if (states[i]) return true;
  return false;
}

std::string PathPattern::literal_prefix() const {
  std::string prefix;
  for (const std::string& segment : segments_) {
    if (has_wildcard(segment)) break;
    prefix += (prefix.empty() ? "" : "/") + segment;
  }
  return prefix;
}

bool PathPattern::is_literal() const {
  for (const std::string& segment : segments_)
    if (has_wildcard(segment)) return false;
  return true;
}

}  // namespace tproc::bundle
