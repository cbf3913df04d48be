// tproc images: the bundles unpacked in the cache.

#include <cstdio>

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc images [--format table|json]\n\n"
    "List the bundles unpacked in the cache ($TPROC_HOME/bundles).\n";

Result<int> images(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  std::vector<bundle::CacheEntry> entries = TPROC_TRY(bundle::BundleCache(paths.home() + "/bundles").list());
  if (json) {
    std::printf("[");
    for (size_t i = 0; i < entries.size(); ++i)
      std::printf("%s\n  {\"name\": %s, \"version\": %s, \"digest\": %s, \"disk_bytes\": %llu, \"last_used\": %s}", i ? "," : "",
                  json_string(entries[i].name).c_str(), json_string(entries[i].version).c_str(),
                  json_string(entries[i].digest).c_str(), static_cast<unsigned long long>(entries[i].disk_bytes),
                  json_string(rfc3339(entries[i].last_used)).c_str());
    std::printf("%s]\n", entries.empty() ? "" : "\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const bundle::CacheEntry& entry : entries)
    rows.push_back({entry.name, entry.version, entry.digest.substr(0, 19), human_size(entry.disk_bytes),
                    time_ago(entry.last_used)});
  print_table({"NAME", "VERSION", "DIGEST", "SIZE", "LAST USED"}, rows);
  return 0;
}

}  // namespace

const Command kImagesCommand{"images", bundle_tool_summary("images"), kUsage, images};

}  // namespace tproc::cli
