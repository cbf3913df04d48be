// tproc rmi: remove images — a reference, or an image by digest with every reference to it.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"
#include "distribution/image_store.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc rmi [OPTIONS] REF|DIGEST...\n\n"
    "Remove images. A REF ([REGISTRY/]PATH[:TAG]) is untagged, and the image goes with its last\n"
    "reference; a DIGEST (sha256:HEX, or the start of one as 'tproc images' shows it) removes the\n"
    "image and every reference to it. The image goes from the image store (the pulled file) and\n"
    "from the bundle cache (the unpacked tree). An image a running tproc uses is refused, naming\n"
    "the tproc. Prints what it untagged and deleted. 'tproc prune' removes every unused unpacked\n"
    "bundle.\n\n"
    "Options:\n"
    "  -f, --force  remove an image in use all the same: it leaves the store and loses its\n"
    "               references now; its unpacked tree stays until the last tproc using it ends\n"
    "               (then 'tproc prune' removes it)\n";

/// Whether `hex` can be the start of a digest's hex: "sha256:" + 4 or more, or 12 or more bare
/// (the 12 that 'tproc images' shows, as docker's short IDs).
bool is_digest_prefix(std::string_view text) {
  const bool prefixed = text.starts_with("sha256:");
  std::string_view hex = prefixed ? text.substr(7) : text;
  if (hex.size() < (prefixed ? 4u : 12u) || hex.size() > 64) return false;
  return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// The one digest of the store or the cache that the digest prefix `text` names.
Result<std::string> digest_named(std::string_view text, const distribution::ImageStore& store,
                                 const bundle::BundleCache& cache) {
  std::string_view hex = text.starts_with("sha256:") ? text.substr(7) : text;
  std::vector<std::string> matches;
  auto consider = [&](const std::string& digest) {
    if (digest.compare(7, hex.size(), hex) == 0 && std::find(matches.begin(), matches.end(), digest) == matches.end())
      matches.push_back(digest);
  };
  for (const distribution::StoredImage& image : TPROC_TRY(store.list()))
    if (image.archive_bytes > 0 || !image.references.empty()) consider(image.digest);
  for (const bundle::CacheEntry& entry : TPROC_TRY(cache.list())) consider(entry.digest);
  if (matches.size() > 1)
    return Error::explained("digest " + std::string(text) + " is the start of " + std::to_string(matches.size()) +
                                " images' digests: give more of it",
                            EINVAL);
  if (matches.empty()) return Error::explained("no image has digest " + std::string(text) + " ('tproc images' lists them)", ENOENT);
  return matches[0];
}

/// "tproc 3 (kv) in space demo": the running tprocs that use the bundle `digest`, as the spaces'
/// daemons report them; empty when none says so (a `tproc run` that is still unpacking it).
std::string users_of(const space::SpacePaths& paths, const std::string& digest) {
  std::string users;
  for (const std::string& space_name : paths.list_spaces()) {
    auto reply = ask_space(paths, space_name, protocol::ListRequest{false});
    if (!reply) continue;  // a space that does not answer runs nothing
    auto list = expect<protocol::TprocList>(*reply);
    if (!list) continue;
    for (const protocol::TprocInfo& tproc : list->tprocs) {
      if (!tproc.running || tproc.bundle != digest) continue;
      users += (users.empty() ? "" : ", ") + std::string("tproc ") + std::to_string(tproc.id) +
               (tproc.name.empty() ? "" : " (" + tproc.name + ")") + " in space " + space_name;
    }
  }
  return users;
}

/// What rmi removes from, and how.
struct Removal {
  const space::SpacePaths& paths;
  const distribution::ImageStore& store;
  const bundle::BundleCache& cache;
  bool force = false;

  /// Removes the image `digest`: its unpacked tree from the cache (refused while in use, unless
  /// forced: then the tree stays), then its file and references from the store.
  Result<void> image(const std::string& digest) const {
    if (auto removed = cache.remove(digest); !removed && removed.error().code() != ENOENT) {
      if (removed.error().code() != EBUSY) return std::move(removed).error();
      const std::string users = users_of(paths, digest);
      const std::string by = users.empty() ? "a running tproc" : users;
      if (!force) return Error::explained("image " + digest + " is in use by " + by + " (-f removes it all the same)", EBUSY);
      std::printf("kept the unpacked tree of %s while %s uses it\n", digest.c_str(), by.c_str());
    }
    TPROC_TRY(store.remove(digest));
    std::printf("deleted %s\n", digest.c_str());
    return ok();
  }

  /// Untags `reference`, and removes its image when that was its last reference.
  Result<void> reference(const std::string& reference, const std::string& digest) const {
    size_t references = 0;
    for (const distribution::StoredImage& image : TPROC_TRY(store.list()))
      if (image.digest == digest) references = image.references.size();
    if (references <= 1) TPROC_TRY(image(digest));  // first: a refusal leaves the reference in place
    else TPROC_TRY(store.untag(reference));
    std::printf("untagged %s\n", reference.c_str());
    return ok();
  }

  /// Removes what `target` (a reference, a digest or the start of one) names.
  Result<void> target(const std::string& target) const {
    auto parsed = distribution::ImageReference::parse(target);
    if (parsed && parsed->digest().empty()) {
      if (std::optional<std::string> digest = TPROC_TRY(store.resolve(parsed->full())))
        return reference(parsed->full(), *digest);
    }
    if (parsed && !parsed->digest().empty()) return image(TPROC_TRY(digest_named(parsed->digest(), store, cache)));
    if (is_digest_prefix(target)) return image(TPROC_TRY(digest_named(target, store, cache)));
    if (!parsed) return std::move(parsed).error();
    return Error::explained("no image is tagged " + parsed->full() + " ('tproc images' lists them)", ENOENT);
  }
};

Result<int> rmi(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"force", 'f', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("rmi", 1, SIZE_MAX, "REF|DIGEST..."));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const distribution::ImageStore store(paths.home() + "/images");
  const bundle::BundleCache cache(paths.home() + "/bundles");
  const Removal removal{paths, store, cache, arguments.has("force")};
  return for_each_target(arguments.positional(), [&](const std::string& target) -> Result<void> {
    TPROC_TRY_CTX("rmi " + target, removal.target(target));
    return ok();
  });
}

}  // namespace

const Command kRmiCommand{"rmi", bundle_tool_summary("rmi"), kUsage, rmi};

}  // namespace tproc::cli
