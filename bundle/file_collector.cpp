#include "bundle/file_collector.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "bundle/bundle_probe.hpp"
#include "bundle/path_pattern.hpp"
#include "common/printable.hpp"

namespace tproc::bundle {
namespace {

using FileId = std::pair<dev_t, ino_t>;

FileId id_of(const struct stat& st) { return {st.st_dev, st.st_ino}; }

bool inside(const std::string& path, const std::string& directory) {
  return path == directory || path.starts_with(directory + "/");
}

Result<std::string> real_path(const std::string& path, const std::string& context) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return Error::from_errno(context);
  std::string result = resolved;
  std::free(resolved);
  return result;
}

/// What a file that is not a regular one is, for errors.
const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// The build's own output: the bundle being written (and its temporary), and earlier bundles
/// beside it. A project that builds into itself (`-o app.bundle`, or dist/) must not take in the
/// last build with `**`.
class OutputRule {
 public:
  explicit OutputRule(const std::string& output) {
    if (output.empty()) return;
    const size_t slash = output.find_last_of('/');
    name_ = slash == std::string::npos ? output : output.substr(slash + 1);
    const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : output.substr(0, slash));
    struct stat st {};
    if (::stat(directory.c_str(), &st) == 0) directory_ = id_of(st);
    if (::stat(output.c_str(), &st) == 0) output_ = id_of(st);
  }

  /// Whether the file `name` (stat `st`) in the directory `directory` is build output.
  bool is_output(const std::string& host_path, const std::string& name, const struct stat& st, const FileId& directory) const {
    if (output_ && *output_ == id_of(st)) return true;
    if (!directory_ || *directory_ != directory) return false;
    if (name.starts_with(name_ + ".tmp-")) return true;
    return name.ends_with(".bundle") && looks_like_bundle(host_path);
  }
  /// Whether `st` is the bundle this build overwrites.
  bool is_written(const struct stat& st) const { return output_ && *output_ == id_of(st); }

 private:
  std::string name_;
  std::optional<FileId> directory_;
  std::optional<FileId> output_;
};

/// One files: entry being collected.
class Collection {
 public:
  Collection(const CollectRequest& request, const std::vector<PathPattern>& excludes, const OutputRule& output,
             std::string project, std::vector<CollectedFile>& files, std::set<std::string>& taken)
      : request_(request), excludes_(excludes), output_(output), project_(std::move(project)), files_(files), taken_(taken) {}

  Result<void> run(const PathPattern& pattern) {
    pattern_ = &pattern;
    const std::string prefix = pattern.literal_prefix();
    const std::string start = prefix.empty() ? request_.base : request_.base + "/" + prefix;
    struct stat st {};
    if (::stat(start.c_str(), &st) < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return nothing();
      return Error::from_errno("files: " + printable(prefix));
    }
    // A link the pattern names literally is the manifest's explicit choice (lib/python3.11 ->
    // /usr/lib/python3.11): its tree is taken as it is. Within the project, what a wildcard
    // finds must stay inside what the pattern names literally.
    within_ = TPROC_TRY(real_path(start, "files: " + printable(prefix)));
    guarded_ = !request_.links_may_leave && inside(within_, project_);
    if (excluded(prefix)) {
      ++excluded_;
      return nothing();
    }
    if (!S_ISDIR(st.st_mode)) {
      if (!pattern.is_literal()) return nothing();
      if (output_.is_written(st))
        return Error::explained("files: '" + printable(pattern.text()) + "' is the bundle this build writes", EINVAL);
      TPROC_TRY(take(prefix, start, st));
    } else {
      std::vector<FileId> walking{id_of(st)};
      TPROC_TRY(walk(prefix, st, pattern.is_literal(), walking));
    }
    if (found_ == 0) return nothing();
    return ok();
  }

 private:
  Result<void> nothing() const {
    return Error::explained("files: '" + printable(pattern_->text()) + "' matches nothing" +
                                (excluded_ > 0 ? " that exclude: leaves in" : ""),
                            ENOENT);
  }

  bool excluded(const std::string& path) const {
    return !path.empty() && std::any_of(excludes_.begin(), excludes_.end(), [&](const PathPattern& p) { return p.matches(path); });
  }

  std::string host(const std::string& path) const { return path.empty() ? request_.base : request_.base + "/" + path; }

  /// Refuses a path a wildcard found whose target is outside what the pattern names literally.
  Result<void> check_inside(const std::string& path) const {
    if (!guarded_) return ok();
    const std::string target = TPROC_TRY(real_path(host(path), "files: " + printable(path)));
    if (inside(target, within_)) return ok();
    return Error::explained("files: " + printable(path) + " leads out of the project (to " + printable(target) +
                                "): a link that a wildcard of '" + printable(pattern_->text()) + "' matched must stay inside " +
                                printable(within_),
                            EACCES);
  }

  /// Walks the directory `path` (stat `st`); `selected`: an ancestor (or itself) matched, so
  /// its whole tree is taken. `walking` holds the directories being walked, against link loops.
  Result<void> walk(const std::string& path, const struct stat& st, bool selected, std::vector<FileId>& walking) {
    std::error_code error;
    std::filesystem::directory_iterator entries(host(path), error);
    if (error) return Error::explained("files: " + printable(path.empty() ? "." : path) + ": " + error.message(), error.value());
    std::vector<std::string> names;
    for (const auto& entry : entries) names.push_back(entry.path().filename().native());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string child = path.empty() ? name : path + "/" + name;
      if (excluded(child)) {
        ++excluded_;
        continue;
      }
      const std::string child_host = host(child);
      struct stat child_st {};
      if (::stat(child_host.c_str(), &child_st) < 0) return Error::from_errno("files: " + printable(child));
      const bool child_selected = selected || pattern_->matches(child);
      if (S_ISDIR(child_st.st_mode)) {
        if (!child_selected && !pattern_->may_match_below(child)) continue;
        // A directory already being walked, reached again through a link: its files come once.
        if (std::find(walking.begin(), walking.end(), id_of(child_st)) != walking.end()) continue;
        TPROC_TRY(check_inside(child));
        walking.push_back(id_of(child_st));
        TPROC_TRY(walk(child, child_st, child_selected, walking));
        walking.pop_back();
        continue;
      }
      if (!child_selected) continue;
      if (output_.is_output(child_host, name, child_st, id_of(st))) continue;
      TPROC_TRY(check_inside(child));
      TPROC_TRY(take(child, child_host, child_st));
    }
    return ok();
  }

  Result<void> take(const std::string& path, const std::string& host_path, const struct stat& st) {
    if (!S_ISREG(st.st_mode))
      return Error::explained("files: " + printable(path) + " is " + kind_of(st.st_mode) + ": only regular files are bundled",
                              EACCES);
    ++found_;
    if (taken_.insert(path).second) {
      files_.push_back({path, host_path, st.st_mode & 0777, pattern_->text()});
      report_progress(request_.progress, "collecting files", request_.counted_before + files_.size(), 0, ProgressUnit::items);
    }
    return ok();
  }

  const CollectRequest& request_;
  const std::vector<PathPattern>& excludes_;
  const OutputRule& output_;
  const std::string project_;
  std::vector<CollectedFile>& files_;
  std::set<std::string>& taken_;
  const PathPattern* pattern_ = nullptr;
  std::string within_;
  bool guarded_ = true;
  size_t found_ = 0;
  size_t excluded_ = 0;
};

}  // namespace

Result<std::vector<CollectedFile>> collect_files(const CollectRequest& request) {
  std::vector<PathPattern> patterns;
  for (const std::string& text : request.patterns) patterns.push_back(TPROC_TRY_CTX("files", PathPattern::parse(text)));
  std::vector<PathPattern> excludes;
  for (const std::string& text : request.excludes) excludes.push_back(TPROC_TRY_CTX("exclude", PathPattern::parse(text)));
  if (patterns.empty()) return std::vector<CollectedFile>{};
  const std::string project = TPROC_TRY(real_path(request.base, request.base));
  const OutputRule output(request.output);
  std::vector<CollectedFile> files;
  std::set<std::string> taken;
  for (const PathPattern& pattern : patterns) {
    Collection collection(request, excludes, output, project, files, taken);
    TPROC_TRY(collection.run(pattern));
  }
  return files;
}

}  // namespace tproc::bundle
