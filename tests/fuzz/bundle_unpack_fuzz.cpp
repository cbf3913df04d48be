// Fuzz target for BundleArchive: open a bundle written from the input (verbatim, or from a recipe
// that gets the digests right: bundle_recipe.hpp), list it, unpack it, and check what landed on
// disk. A bundle comes from anywhere, and unpacking it is the one place tproc writes files an
// outsider chose, so beyond "no crash" the target checks the promises bundle_archive.hpp and
// layer_checker.hpp make:
//   - every error is one line starting "bundle PATH: ";
//   - a failed unpack leaves nothing behind (no target directory, no partial one);
//   - nothing is ever created beside the target directory;
//   - a successful unpack holds exactly what files() lists, with the listed types, sizes, contents
//     and link targets, and nothing a layer may not carry: only regular files, directories and
//     symlinks, no setuid or setgid bit, and no symlink that climbs out of the tree.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "bundle/bundle_archive.hpp"
#include "bundle/remove_tree.hpp"
#include "bundle/sha256.hpp"
#include "bundle_recipe.hpp"

namespace {

using tproc::bundle::BundleArchive;
using tproc::bundle::LayerEntry;

// Small limits keep each run fast and let the fuzzer reach them.
constexpr tproc::bundle::BundleLimits kLimits{.max_total_bytes = 1 << 20, .max_entries = 256};

/// Traps (a crash libFuzzer records) unless `property` holds.
void require(bool property) {
  if (!property) __builtin_trap();
}

/// Traps after saying what went wrong, for properties whose input alone does not show it.
[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "bundle_unpack_fuzz: %s\n", what.c_str());
  __builtin_trap();
}

/// A private directory for this process's bundle and unpacks, removed at exit. tmpfs when there
/// is one: every run writes a file and a tree.
class Scratch {
 public:
  Scratch() {
    const char* base = std::getenv("TMPDIR");
    if (base == nullptr) base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(base) + "/tproc-bundle-fuzz.XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) violated("mkdtemp " + path_ + " failed");
  }
  ~Scratch() { (void)tproc::bundle::remove_tree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  // A layer may make a directory unreadable; this tree is about to go, so open it up (a no-op
  // for root, who reads it anyway).
  struct stat status;
  if (::lstat(dir.c_str(), &status) == 0 && (status.st_mode & S_IRWXU) != S_IRWXU)
    (void)::chmod(dir.c_str(), (status.st_mode & 07777) | S_IRWXU);
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) violated("opendir " + dir + " failed");
  while (const dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  ::closedir(stream);
  return names;
}

void check_error(const tproc::Error& error, const std::string& bundle) {
  const std::string text = error.describe();
  if (!text.starts_with("bundle " + bundle + ": ")) violated("error without its context: " + text);
  if (text.find('\n') != std::string::npos) violated("error of more than one line: " + text);
}

std::string read_file(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) (void)::chmod(path.c_str(), S_IRUSR);  // as in names_in()
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Whether `target`, a symlink's target in the directory `depth` levels below the root, stays in
/// the tree: relative, "../" at most `depth` times, then names only (bundle_path.hpp's rule,
/// written again here so that a hole in one is not a hole in both).
bool stays_inside(const std::string& target, size_t depth) {
  if (target.empty() || target[0] == '/') return false;
  size_t climbs = 0;
  bool named = false;
  size_t start = 0;
  while (start <= target.size()) {
    size_t end = target.find('/', start);
    if (end == std::string::npos) end = target.size();
    const std::string component = target.substr(start, end - start);
    if (component == "..") {
      if (named || ++climbs > depth) return false;
    } else if (!component.empty() && component != ".") {
      named = true;
    }
    start = end + 1;
  }
  return true;
}

/// Walks the unpacked tree and checks it against the listing.
void check_tree(const std::string& root, const std::vector<LayerEntry>& listing) {
  std::map<std::string, const LayerEntry*> listed;
  std::set<std::string> ancestors;  // directories the extractor may add without a listing entry
  for (const LayerEntry& entry : listing) {
    listed[entry.path] = &entry;
    std::string prefix;
    for (size_t i = 0; i + 1 < entry.components.size(); ++i) {
      prefix += (i == 0 ? "" : "/") + entry.components[i];
      ancestors.insert(prefix);
    }
  }

  // Depth-first over the real tree, never following symlinks.
  std::vector<std::pair<std::string, size_t>> pending = {{"", 0}};
  std::set<std::string> seen;
  while (!pending.empty()) {
    const auto [relative, depth] = pending.back();
    pending.pop_back();
    for (const std::string& name : names_in(relative.empty() ? root : root + "/" + relative)) {
      const std::string path = relative.empty() ? name : relative + "/" + name;
      const std::string full = root + "/" + path;
      struct stat status;
      if (::lstat(full.c_str(), &status) != 0) violated("lstat " + path + " failed");
      if ((status.st_mode & (S_ISUID | S_ISGID)) != 0) violated(path + ": setuid or setgid");
      seen.insert(path);
      const auto found = listed.find(path);
      if (found == listed.end()) {
        if (!S_ISDIR(status.st_mode) || ancestors.count(path) == 0) violated(path + ": unpacked but not listed");
        pending.emplace_back(path, depth + 1);
        continue;
      }
      const LayerEntry& entry = *found->second;
      switch (entry.type) {
        case LayerEntry::Type::directory:
          if (!S_ISDIR(status.st_mode)) violated(path + ": listed as a directory");
          pending.emplace_back(path, depth + 1);
          break;
        case LayerEntry::Type::file:
          if (!S_ISREG(status.st_mode)) violated(path + ": listed as a file");
          if (static_cast<uint64_t>(status.st_size) != entry.size) violated(path + ": size differs from the listing");
          if (tproc::bundle::oci_digest(*tproc::bundle::sha256_hex(read_file(full))) != entry.digest)
            violated(path + ": content differs from the listing");
          break;
        case LayerEntry::Type::hardlink: {
          struct stat target;
          if (!S_ISREG(status.st_mode) || ::lstat((root + "/" + entry.link_target).c_str(), &target) != 0 ||
              target.st_ino != status.st_ino)
            violated(path + ": not a hardlink to " + entry.link_target);
          break;
        }
        case LayerEntry::Type::symlink: {
          if (!S_ISLNK(status.st_mode)) violated(path + ": listed as a symlink");
          std::string target(static_cast<size_t>(status.st_size) + 1, '\0');
          const ssize_t length = ::readlink(full.c_str(), target.data(), target.size());
          if (length < 0 || static_cast<size_t>(length) != entry.link_target.size()) violated(path + ": readlink");
          target.resize(static_cast<size_t>(length));
          if (target != entry.link_target) violated(path + ": link target differs from the listing");
          if (!stays_inside(target, depth)) violated(path + ": symlink to " + target + " leaves the tree");
          break;
        }
      }
    }
  }
  for (const LayerEntry& entry : listing) {
    if (!entry.path.empty() && seen.count(entry.path) == 0) violated(entry.path + ": listed but not unpacked");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Scratch scratch;
  const std::string bundle = scratch.path() + "/fuzz.bundle";
  const std::string unpacked = scratch.path() + "/unpacked";
  const auto input = std::span(reinterpret_cast<const char*>(data), size);
  if (!tproc::fuzz::write_bundle_recipe(input, bundle)) violated("cannot write " + bundle);

  // The cheap read the cache uses, on the same bytes.
  if (auto digest = BundleArchive::read_manifest_digest(bundle); !digest) check_error(digest.error(), bundle);

  auto archive = BundleArchive::open(bundle, kLimits);
  if (!archive) {
    check_error(archive.error(), bundle);
    return 0;
  }
  require(archive->path() == bundle);
  require(archive->manifest_digest().starts_with("sha256:") && archive->layer_digest().starts_with("sha256:"));

  auto listing = archive->files(/*digests=*/true);
  if (!listing) check_error(listing.error(), bundle);
  auto result = archive->unpack_to(unpacked);
  if (result) {
    // files() and unpack_to() make the same checks in the same pass over the same bytes.
    if (!listing) violated("unpacked, but files() refused: " + listing.error().describe());
    check_tree(unpacked, *listing);
    if (!tproc::bundle::remove_tree(unpacked)) violated("cannot remove " + unpacked);
  } else {
    check_error(result.error(), bundle);
  }
  // Whatever happened, only the bundle is left: no target directory, no partial one.
  if (names_in(scratch.path()) != std::set<std::string>{"fuzz.bundle"}) violated("unpack left files behind");
  return 0;
}
