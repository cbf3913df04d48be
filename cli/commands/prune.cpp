// tproc prune: remove cached bundles that no tproc uses.

#include <cstdio>

#include "common/printable.hpp"

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc prune\n\n"
    "Remove every unpacked bundle from the cache that no running tproc uses. The bundle files\n"
    "themselves are untouched; a later run unpacks them again.\n";

Result<int> prune(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!arguments.positional().empty()) return Error::explained("prune takes no arguments", EINVAL);
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  bundle::BundleCache cache(paths.home() + "/bundles");
  size_t kept = 0;
  for (const bundle::CacheEntry& entry : TPROC_TRY(cache.list())) {
    auto removed = cache.remove(entry.digest);
    if (removed) {
      std::printf("removed %s %s %s\n", terminal_text(entry.name).c_str(), terminal_text(entry.version).c_str(), entry.digest.c_str());
    } else if (removed.error().code() == EBUSY) {
      ++kept;  // a tproc (or a `tproc run` unpacking it) holds it
    } else {
      return std::move(removed).error();
    }
  }
  if (kept) std::printf("kept %zu bundle(s) in use\n", kept);
  return 0;
}

}  // namespace

const Command kPruneCommand{"prune", bundle_tool_summary("prune"), kUsage, prune};

}  // namespace tproc::cli
