#include "bundle/bundle_path.hpp"
#include "common/printable.hpp"

#include <cerrno>

namespace tproc::bundle {

namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

Error refuse(std::string reason) { return Error::explained(std::move(reason), EINVAL); }

}  // namespace

Result<std::vector<std::string>> split_entry_path(std::string_view name) {
  if (!name.empty() && name.front() == '/') return refuse("absolute path");
  if (name.size() > kMaxEntryPathBytes)
    return refuse("path longer than " + std::to_string(kMaxEntryPathBytes) + " bytes");
  std::vector<std::string> components;
  for (std::string_view part : split(name)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return refuse("path escapes the bundle");
    components.emplace_back(part);
  }
  if (components.size() > kMaxEntryPathDepth)
    return refuse("path deeper than " + std::to_string(kMaxEntryPathDepth) + " components");
  return components;
}

std::string join_path(const std::vector<std::string>& components) {
  std::string path;
  for (const auto& component : components) {
    if (!path.empty()) path += '/';
    path += component;
  }
  return path;
}

Result<void> check_symlink_target(const std::vector<std::string>& link, std::string_view target) {
  std::string quoted = "symlink target \"" + printable(target) + "\"";
  if (target.empty()) return refuse("empty symlink target");
  if (target.front() == '/') return refuse(quoted + " is absolute");
  // The link's directory is `link` minus its own name.
  size_t depth = link.empty() ? 0 : link.size() - 1;
  bool seen_name = false;
  for (std::string_view part : split(target)) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      seen_name = true;
      continue;
    }
    if (seen_name)
      return refuse(quoted + " has \"..\" after a name (refused: the name could be a link that lands elsewhere)");
    if (depth == 0) return refuse(quoted + " escapes the bundle");
    --depth;
  }
  return ok();
}

}  // namespace tproc::bundle
