#include "bundle/bundle_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <tuple>

#include "bundle/bundle_archive.hpp"
#include "bundle/json_value.hpp"
#include "bundle/remove_tree.hpp"
#include "bundle/sha256.hpp"
#include "common/open_trusted.hpp"

namespace tproc::bundle {

namespace {

constexpr const char* kMarker = "bundle.json";
constexpr const char* kConfig = "config.json";
constexpr const char* kLastUsed = "last-used";
constexpr const char* kRootfs = "rootfs";
// The index only saves a read of index.json per run: a few hundred recent bundle files is plenty.
constexpr size_t kMaxIndexLines = 512;
constexpr size_t kMaxSmallFile = size_t{4} << 20;

/// What identifies one version of a bundle file without reading it.
struct FileKey {
  std::string realpath;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;  // changes on every write and cannot be set back by utimes()

  std::string index_fields() const {
    return std::to_string(dev) + " " + std::to_string(ino) + " " + std::to_string(size) + " " +
           std::to_string(mtime_ns) + " " + std::to_string(ctime_ns) + " " + realpath;
  }
};

Result<FileKey> file_key(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open");
  struct stat status;
  if (::fstat(fd.get(), &status) != 0) return Error::from_errno("stat");
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return Error::from_errno("realpath");
  FileKey key;
  key.realpath = resolved;
  std::free(resolved);
  key.dev = status.st_dev;
  key.ino = status.st_ino;
  key.size = status.st_size;
  key.mtime_ns = int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec;
  key.ctime_ns = int64_t{status.st_ctim.tv_sec} * 1'000'000'000 + status.st_ctim.tv_nsec;
  return key;
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return Error::from_errno("read " + path);
  std::string text;
  char buffer[8192];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("read " + path);
    if (got == 0) return text;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > kMaxSmallFile) return Error::explained("read " + path + ": larger than expected", EFBIG);
  }
}

// Writes `text` to `path` atomically: a temporary file in the same directory renamed over it.
Result<void> write_file_atomically(const std::string& path, std::string_view text) {
  std::string temporary = path + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd) return Error::from_errno("create " + temporary);
  auto fail = [&](const std::string& what) {
    Error error = Error::from_errno(what);
    ::unlink(temporary.c_str());
    return error;
  };
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd.get(), text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return fail("write " + temporary);
    done += static_cast<size_t>(written);
  }
  if (::fchmod(fd.get(), 0644) != 0) return fail("chmod " + temporary);
  if (::fsync(fd.get()) != 0) return fail("fsync " + temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return fail("rename " + temporary);
  return ok();
}

Result<void> make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Error::from_errno("mkdir " + path);
  return ok();
}

/// What the marker says of entries this version completed: their files keep no group/other write
/// bit (bundle/layer_checker.cpp). An entry without it is unpacked again.
constexpr std::string_view kMarkerFormat = "\"format\":2";

/// Whether `path` is (not through a symlink) a `type` of ours that no one else may write.
bool ours_and_private(const std::string& path, mode_t type) {
  struct stat status;
  return ::lstat(path.c_str(), &status) == 0 && (status.st_mode & S_IFMT) == type && status.st_uid == ::geteuid() &&
         (status.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/// Whether the entry at `directory` (a child of the cache's root, whose path from / the caller
/// has checked: common/trusted_directory.hpp) is one we completed ourselves: a directory of ours
/// that no one else may write, holding our marker, which no one else may write either and which
/// says this format. The root is private, so another user cannot have made an entry there; this
/// also refuses one made while it was not, or by another tool. Costs two lstats and a read of
/// the marker per run (with the walk of the root's path: bench figures in the README).
bool completed_by_us(const std::string& directory) {
  const std::string marker = directory + "/" + kMarker;
  if (!ours_and_private(directory, S_IFDIR) || !ours_and_private(marker, S_IFREG)) return false;
  auto text = read_file(marker);
  return text && text->find(kMarkerFormat) != std::string::npos;
}

// An flock(2) on `path` (created if missing). The lock is taken on the file that is at `path`
// once we hold it: remove() unlinks lock files, so a lock won on a file unlinked while we waited
// protects nothing and is retried.
Result<UniqueFd> lock_file(const std::string& path, int operation) {
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (!fd) return Error::from_errno("open lock " + path);
    if (::flock(fd.get(), operation) != 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("lock " + path);
    }
    struct stat held, current;
    if (::fstat(fd.get(), &held) != 0) return Error::from_errno("stat lock " + path);
    if (::stat(path.c_str(), &current) == 0 && current.st_dev == held.st_dev && current.st_ino == held.st_ino)
      return fd;
  }
}

// Touches ROOT/<hex>/last-used: its mtime is what list() reports.
void touch_last_used(const std::string& directory) {
  std::string path = directory + "/" + kLastUsed;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  if (fd) ::futimens(fd.get(), nullptr);  // best effort: only list() reads it
}

// Space the tree at `path` takes, like du: allocated blocks of every entry, links not followed.
uint64_t disk_usage(const std::string& path) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code error;
  auto add = [&](const fs::path& entry) {
    struct stat status;
    if (::lstat(entry.c_str(), &status) == 0) total += static_cast<uint64_t>(status.st_blocks) * 512;
  };
  add(path);
  for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error))
    add(it->path());
  return total;
}

/// One line of the index file.
struct IndexLine {
  std::string hex;
  std::string key;  // FileKey::index_fields()
};

std::vector<IndexLine> read_index(const std::string& path) {
  std::vector<IndexLine> lines;
  auto text = read_file(path);
  if (!text) return lines;  // missing or unreadable: the index is only a shortcut
  std::istringstream stream(*text);
  std::string line;
  while (std::getline(stream, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos || !is_sha256_hex(line.substr(0, space))) continue;
    lines.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return lines;
}

// Unpacks `archive` into the cache directory `directory` (which exists, empty) and writes the
// marker last.
Result<void> fill(const BundleArchive& archive, const std::string& directory, Progress* progress) {
  std::string context = "bundle " + archive.path();
  TPROC_TRY(archive.unpack_to(directory + "/" + kRootfs, progress));
  TPROC_TRY_CTX(context, write_file_atomically(directory + "/" + kConfig, archive.config_json()));
  {
    // The marker promises a complete tree: after a power cut it must not survive its files.
    UniqueFd tree(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tree || ::syncfs(tree.get()) != 0) return Error::from_errno(context + ": sync " + directory);
  }
  std::string marker = "{" + std::string(kMarkerFormat) + ",\"digest\":" + json_quote(archive.manifest_digest()) +
                       ",\"name\":" + json_quote(archive.name()) + ",\"version\":" + json_quote(archive.version()) +
                       ",\"disk_bytes\":" + std::to_string(disk_usage(directory + "/" + kRootfs)) + "}\n";
  TPROC_TRY_CTX(context, write_file_atomically(directory + "/" + kMarker, marker));
  return ok();
}

}  // namespace

BundleCache::BundleCache(std::string root, BundleLimits limits) : root_(std::move(root)), limits_(limits) {}

Result<CachedBundle> BundleCache::ensure(const std::string& bundle_path, Progress* progress) const {
  std::string context = "bundle " + bundle_path;
  // The cache and every directory above it must be safe from other users: what is found here is
  // run, by root too.
  TPROC_TRY_CTX(context + ": bundle cache", open_trusted(root_ + "/locks", true));
  FileKey key = TPROC_TRY_CTX(context, file_key(bundle_path));
  std::string key_fields = key.index_fields();
  std::string index_path = root_ + "/index";

  std::string hex;
  for (const IndexLine& line : read_index(index_path))
    if (line.key == key_fields) hex = line.hex;
  bool indexed = !hex.empty();
  if (!indexed) hex = TPROC_TRY(digest_hex(TPROC_TRY(BundleArchive::read_manifest_digest(bundle_path))));

  CachedBundle cached;
  // A few rounds at most: another round only happens when the file's manifest digest was not the one
  // the index or index.json promised (the file changed under us), or a remove() slipped between
  // our exclusive and shared lock.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string directory = root_ + "/" + hex;
    std::string marker = directory + "/" + kMarker;
    std::string lock_path = root_ + "/locks/" + hex;
    struct stat status;

    UniqueFd lock = TPROC_TRY_CTX(context, lock_file(lock_path, LOCK_SH));
    if (!completed_by_us(directory)) {
      lock.reset();
      lock = TPROC_TRY_CTX(context, lock_file(lock_path, LOCK_EX));
      if (!completed_by_us(directory)) {
        // Ours to unpack. Anything already there is debris from an unpack that died, an entry of
        // an older format, or something we did not make: never trusted, removed.
        BundleArchive archive = TPROC_TRY(BundleArchive::open(bundle_path, limits_, progress));
        std::string opened_hex = archive.manifest_digest().substr(7);
        if (opened_hex != hex) {
          hex = opened_hex;
          indexed = false;
          continue;
        }
        TPROC_TRY_CTX(context, remove_tree(directory));
        TPROC_TRY_CTX(context, make_directory(directory));
        auto filled = fill(archive, directory, progress);
        if (!filled) {
          (void)remove_tree(directory);  // a refused bundle leaves nothing behind
          return std::move(filled).error();
        }
        cached.freshly_unpacked_ = true;
      }
      // flock cannot downgrade atomically: between the two calls a remove() may get in, so the
      // marker is checked once more under the shared lock.
      if (::flock(lock.get(), LOCK_SH) != 0) return Error::from_errno(context + ": lock " + lock_path);
      if (::stat(marker.c_str(), &status) != 0 || !completed_by_us(directory)) {
        cached.freshly_unpacked_ = false;
        continue;
      }
    }
    cached.lock_ = std::move(lock);
    cached.digest_ = oci_digest(hex);
    cached.root_ = directory + "/" + kRootfs;
    cached.config_json_ = TPROC_TRY_CTX(context, read_file(directory + "/" + kConfig));
    touch_last_used(directory);
    break;
  }
  if (!cached.lock_) return Error::explained(context + ": the cache kept changing under us; try again", EAGAIN);

  if (!indexed && key.realpath.find('\n') == std::string::npos) {
    // Best effort: a failure here only costs the next run a read of index.json.
    auto index_lock = lock_file(root_ + "/locks/index", LOCK_EX);
    if (index_lock) {
      std::vector<IndexLine> lines = read_index(index_path);
      std::erase_if(lines, [&](const IndexLine& line) { return line.key.ends_with(" " + key.realpath); });
      lines.push_back({hex, key_fields});
      if (lines.size() > kMaxIndexLines) lines.erase(lines.begin(), lines.end() - kMaxIndexLines);
      std::string text;
      for (const IndexLine& line : lines) text += line.hex + " " + line.key + "\n";
      (void)write_file_atomically(index_path, text);
    }
  }
  return cached;
}

Result<std::vector<CacheEntry>> BundleCache::list() const {
  std::vector<CacheEntry> entries;
  if (auto trusted = open_trusted(root_, false); !trusted) {
    if (trusted.error().code() == ENOENT) return entries;
    return std::move(trusted).error().context("bundle cache");
  }
  DIR* directory = ::opendir(root_.c_str());
  if (directory == nullptr) {
    if (errno == ENOENT) return entries;
    return Error::from_errno("list cache " + root_);
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(directory))
    if (is_sha256_hex(entry->d_name)) names.emplace_back(entry->d_name);
  ::closedir(directory);

  for (const std::string& hex : names) {
    std::string base = root_ + "/" + hex;
    if (!completed_by_us(base)) continue;  // being unpacked, debris, or not ours: not a cached bundle
    auto marker_text = read_file(base + "/" + kMarker);
    if (!marker_text) continue;
    auto marker = JsonValue::parse(*marker_text);
    if (!marker || !marker->is_object()) continue;
    CacheEntry entry;
    entry.digest = oci_digest(hex);
    entry.root = base + "/" + kRootfs;
    if (const JsonValue* name = marker->find("name")) entry.name = name->text();
    if (const JsonValue* version = marker->find("version")) entry.version = version->text();
    if (const JsonValue* bytes = marker->find("disk_bytes"); bytes != nullptr && bytes->integer())
      entry.disk_bytes = static_cast<uint64_t>(*bytes->integer());
    struct stat status;
    if (::stat((base + "/" + kLastUsed).c_str(), &status) == 0) entry.last_used = status.st_mtim.tv_sec;
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return std::tie(a.name, a.version, a.digest) < std::tie(b.name, b.version, b.digest);
  });
  return entries;
}

Result<void> BundleCache::remove(const std::string& digest) const {
  std::string context = "remove bundle " + digest;
  std::string hex = digest;
  if (!is_sha256_hex(hex)) hex = TPROC_TRY_CTX(context, digest_hex(digest));
  std::string directory = root_ + "/" + hex;
  std::string lock_path = root_ + "/locks/" + hex;
  struct stat status;
  if (::lstat(directory.c_str(), &status) != 0) return Error::explained(context + ": not in the cache", ENOENT);

  auto lock = lock_file(lock_path, LOCK_EX | LOCK_NB);
  if (!lock) {
    if (lock.error().code() == EWOULDBLOCK) return Error::explained(context + ": in use", EBUSY);
    return std::move(lock).error().context(context);
  }
  // The marker goes first: from then on nobody takes the tree for a complete bundle.
  if (::unlink((directory + "/" + kMarker).c_str()) != 0 && errno != ENOENT)
    return Error::from_errno(context + ": unlink marker");
  TPROC_TRY_CTX(context, remove_tree(directory));
  ::unlink(lock_path.c_str());  // while still held: see lock_file()

  auto index_lock = lock_file(root_ + "/locks/index", LOCK_EX);
  if (index_lock) {
    std::vector<IndexLine> lines = read_index(root_ + "/index");
    size_t before = lines.size();
    std::erase_if(lines, [&](const IndexLine& line) { return line.hex == hex; });
    if (lines.size() != before) {
      std::string text;
      for (const IndexLine& line : lines) text += line.hex + " " + line.key + "\n";
      (void)write_file_atomically(root_ + "/index", text);
    }
  }
  return ok();
}

}  // namespace tproc::bundle
