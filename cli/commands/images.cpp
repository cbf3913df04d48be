// tproc images: the bundles unpacked in the cache and the images pulled from registries, with
// the references that name them.

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "distribution/image_store.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc images [OPTIONS]\n\n"
    "List the images: the bundles unpacked in the cache ($TPROC_HOME/bundles) and the images pulled\n"
    "from registries ($TPROC_HOME/images). One row per reference (<none>: a bundle run from a file,\n"
    "or an image whose references were removed), with the app's name and version, the digest, the\n"
    "size (of the unpacked tree, else of the pulled file) and when a run last used it.\n\n"
    "Options:\n"
    "  -q, --quiet          print only the digests, one per image\n"
    "      --format FORMAT  table (default) or json (one object per image, sizes in bytes)\n";

/// One image: what the cache and the store know of one digest.
struct Image {
  std::string digest;
  std::optional<bundle::CacheEntry> cached;
  std::optional<distribution::StoredImage> stored;

  /// What the SIZE column shows: the unpacked tree when there is one, else the pulled file.
  uint64_t size() const { return cached ? cached->disk_bytes : stored->archive_bytes; }
  std::vector<std::string> references() const { return stored ? stored->references : std::vector<std::string>{}; }
};

/// Every image the cache or the store knows, the cache's order first (name, version, digest).
Result<std::vector<Image>> list_images(const space::SpacePaths& paths) {
  std::vector<bundle::CacheEntry> entries = TPROC_TRY(bundle::BundleCache(paths.home() + "/bundles").list());
  std::vector<distribution::StoredImage> stored =
      TPROC_TRY(distribution::ImageStore(paths.home() + "/images").list());
  std::vector<Image> found;
  std::map<std::string, size_t> by_digest;
  for (bundle::CacheEntry& entry : entries) {
    by_digest[entry.digest] = found.size();
    found.push_back({entry.digest, std::move(entry), std::nullopt});
  }
  for (distribution::StoredImage& image : stored) {
    auto known = by_digest.find(image.digest);
    if (known != by_digest.end()) {
      found[known->second].stored = std::move(image);
    } else if (image.archive_bytes > 0) {  // references alone, to a file that is gone, name nothing
      found.push_back({image.digest, std::nullopt, std::move(image)});
    }
  }
  return found;
}

std::string json_or_null(const std::optional<std::string>& text) { return text ? json_string(*text) : "null"; }

void print_json(const std::vector<Image>& images) {
  std::printf("[");
  for (size_t i = 0; i < images.size(); ++i) {
    const Image& image = images[i];
    std::string references;
    for (const std::string& reference : image.references())
      references += (references.empty() ? "" : ", ") + json_string(reference);
    const bundle::CacheEntry* cached = image.cached ? &*image.cached : nullptr;
    std::printf("%s\n  {\"name\": %s, \"version\": %s, \"digest\": %s, \"references\": [%s], \"size\": %llu, "
                "\"disk_bytes\": %llu, \"archive_bytes\": %llu, \"unpacked\": %s, \"last_used\": %s}",
                i ? "," : "", json_or_null(cached ? std::optional(cached->name) : std::nullopt).c_str(),
                json_or_null(cached ? std::optional(cached->version) : std::nullopt).c_str(),
                json_string(image.digest).c_str(), references.c_str(), static_cast<unsigned long long>(image.size()),
                static_cast<unsigned long long>(cached ? cached->disk_bytes : 0),
                static_cast<unsigned long long>(image.stored ? image.stored->archive_bytes : 0),
                cached ? "true" : "false",
                json_or_null(cached ? std::optional(rfc3339(cached->last_used)) : std::nullopt).c_str());
  }
  std::printf("%s]\n", images.empty() ? "" : "\n");
}

Result<int> images(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}, {"quiet", 'q', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("images", 0, 0, "no operands"));
  const bool json = TPROC_TRY(arguments.json_format());
  if (json && arguments.has("quiet")) return Error::explained("images: -q and --format json exclude each other", EINVAL);
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::vector<Image> found = TPROC_TRY(list_images(paths));
  if (arguments.has("quiet")) {
    for (const Image& image : found) std::printf("%s\n", image.digest.c_str());
    return 0;
  }
  if (json) {
    print_json(found);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Image& image : found) {
    std::vector<std::string> names = image.references();
    if (names.empty()) names.push_back("<none>");
    for (const std::string& reference : names)
      rows.push_back({reference, image.cached ? image.cached->name : "-", image.cached ? image.cached->version : "-",
                      image.digest.substr(0, 19), human_size(image.size(), SizeUnits::decimal),
                      image.cached ? time_ago(image.cached->last_used) : "not unpacked"});
  }
  print_table({"REFERENCE", "NAME", "VERSION", "DIGEST", "SIZE", "LAST USED"}, rows);
  return 0;
}

}  // namespace

const Command kImagesCommand{"images", bundle_tool_summary("images"), kUsage, images};

}  // namespace tproc::cli
