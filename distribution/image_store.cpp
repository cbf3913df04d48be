#include "distribution/image_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <sstream>

#include "bundle/remove_tree.hpp"
#include "bundle/sha256.hpp"
#include "common/open_trusted.hpp"
#include "common/unique_fd.hpp"

namespace tproc::distribution {

namespace {

constexpr size_t kMaxReferencesBytes = size_t{4} << 20;
constexpr std::string_view kSuffix = ".bundle";

/// An exclusive flock on ROOT/lock for as long as it lives.
Result<UniqueFd> lock_store(const std::string& root) {
  const std::string path = root + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("open " + path);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return Error::from_errno("lock " + path);
  return fd;
}

Result<std::string> hex_of(const std::string& digest) { return bundle::digest_hex(digest); }

}  // namespace

ScratchDirectory::~ScratchDirectory() {
  if (!path_.empty()) (void)bundle::remove_tree(path_);
}

Result<std::optional<std::string>> ImageStore::find(const std::string& digest) const {
  std::string hex = TPROC_TRY(hex_of(digest));
  if (auto trusted = open_trusted(root_, false); !trusted) {
    if (trusted.error().code() == ENOENT) return std::optional<std::string>();
    return std::move(trusted).error().context("image store");
  }
  std::string path = root_ + "/" + hex + std::string(kSuffix);
  struct stat status;
  if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode) || status.st_uid != ::geteuid())
    return std::optional<std::string>();
  return std::optional<std::string>(path);
}

Result<std::optional<std::string>> ImageStore::resolve(const std::string& reference) const {
  for (const Line& line : TPROC_TRY(read_references()))
    if (line.reference == reference) return std::optional<std::string>(line.digest);
  return std::optional<std::string>();
}

Result<ScratchDirectory> ImageStore::scratch() const {
  TPROC_TRY_CTX("image store", open_trusted(root_, true));
  std::string path = root_ + "/tmp-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) return Error::from_errno("image store: mkdtemp " + path);
  return ScratchDirectory(path);
}

Result<std::string> ImageStore::adopt(const std::string& file, const std::string& digest) const {
  std::string path = root_ + "/" + TPROC_TRY(hex_of(digest)) + std::string(kSuffix);
  if (::chmod(file.c_str(), 0600) != 0) return Error::from_errno("image store: chmod " + file);
  if (::rename(file.c_str(), path.c_str()) != 0) return Error::from_errno("image store: rename to " + path);
  return path;
}

Result<std::vector<ImageStore::Line>> ImageStore::read_references() const {
  std::vector<Line> lines;
  if (auto trusted = open_trusted(root_, false); !trusted) {
    if (trusted.error().code() == ENOENT) return lines;
    return std::move(trusted).error().context("image store");
  }
  const std::string path = root_ + "/references";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return lines;
    return Error::from_errno("image store: open " + path);
  }
  std::string text;
  char buffer[8192];
  for (ssize_t got; (got = ::read(fd.get(), buffer, sizeof buffer)) != 0;) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("image store: read " + path);
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > kMaxReferencesBytes) return Error::explained("image store: " + path + " is too large", EFBIG);
  }
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos || !hex_of(line.substr(0, space))) continue;  // not ours: ignored
    lines.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return lines;
}

Result<void> ImageStore::write_references(const std::vector<Line>& lines) const {
  std::string text;
  for (const Line& line : lines) text += line.digest + " " + line.reference + "\n";
  std::string temporary = root_ + "/references.tmp-XXXXXX";
  UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd) return Error::from_errno("image store: create " + temporary);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd.get(), text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      Error error = Error::from_errno("image store: write " + temporary);
      ::unlink(temporary.c_str());
      return error;
    }
    done += static_cast<size_t>(written);
  }
  if (::rename(temporary.c_str(), (root_ + "/references").c_str()) != 0) {
    Error error = Error::from_errno("image store: rename " + temporary);
    ::unlink(temporary.c_str());
    return error;
  }
  return ok();
}

Result<void> ImageStore::tag(const std::string& reference, const std::string& digest) const {
  if (reference.find_first_of(" \n") != std::string::npos) return Error::explained("reference has a space", EINVAL);
  TPROC_TRY_CTX("image store", open_trusted(root_, true));
  UniqueFd lock = TPROC_TRY(lock_store(root_));
  std::vector<Line> lines = TPROC_TRY(read_references());
  std::erase_if(lines, [&](const Line& line) { return line.reference == reference; });
  lines.push_back({digest, reference});
  return write_references(lines);
}

Result<std::string> ImageStore::untag(const std::string& reference) const {
  TPROC_TRY_CTX("image store", open_trusted(root_, true));
  UniqueFd lock = TPROC_TRY(lock_store(root_));
  std::vector<Line> lines = TPROC_TRY(read_references());
  auto found = std::find_if(lines.begin(), lines.end(), [&](const Line& line) { return line.reference == reference; });
  if (found == lines.end()) return Error::explained("no image is tagged " + reference, ENOENT);
  std::string digest = found->digest;
  lines.erase(found);
  TPROC_TRY(write_references(lines));
  return digest;
}

Result<void> ImageStore::remove(const std::string& digest) const {
  std::string hex = TPROC_TRY(hex_of(digest));
  TPROC_TRY_CTX("image store", open_trusted(root_, true));
  UniqueFd lock = TPROC_TRY(lock_store(root_));
  std::vector<Line> lines = TPROC_TRY(read_references());
  size_t before = lines.size();
  std::erase_if(lines, [&](const Line& line) { return line.digest == digest; });
  if (lines.size() != before) TPROC_TRY(write_references(lines));
  std::string path = root_ + "/" + hex + std::string(kSuffix);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("image store: unlink " + path);
  return ok();
}

Result<std::vector<StoredImage>> ImageStore::list() const {
  std::map<std::string, StoredImage> images;
  for (const Line& line : TPROC_TRY(read_references())) {
    StoredImage& image = images[line.digest];
    image.digest = line.digest;
    image.references.push_back(line.reference);
  }
  if (DIR* directory = ::opendir(root_.c_str())) {
    while (dirent* entry = ::readdir(directory)) {
      std::string_view name = entry->d_name;
      if (!name.ends_with(kSuffix)) continue;
      std::string hex(name.substr(0, name.size() - kSuffix.size()));
      if (!bundle::is_sha256_hex(hex)) continue;
      std::string digest = bundle::oci_digest(hex);
      auto path = find(digest);
      if (!path || !*path) continue;
      struct stat status;
      if (::stat(path->value().c_str(), &status) != 0) continue;
      StoredImage& image = images[digest];
      image.digest = digest;
      image.archive = **path;
      image.archive_bytes = static_cast<uint64_t>(status.st_size);
    }
    ::closedir(directory);
  }
  std::vector<StoredImage> result;
  for (auto& [digest, image] : images) {
    std::sort(image.references.begin(), image.references.end());
    result.push_back(std::move(image));
  }
  return result;
}

}  // namespace tproc::distribution
