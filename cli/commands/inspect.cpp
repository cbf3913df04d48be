// tproc inspect: what a bundle holds — its manifest, files, sizes and digests.

#include <sys/stat.h>

#include <cstdio>

#include "common/printable.hpp"

#include "bundle/bundle_archive.hpp"
#include "bundle/manifest.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/tproc_inspection.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc inspect [--format table|json] BUNDLE\n"
    "       tproc inspect SPACE ID|NAME\n\n"
    "Verify a bundle (every blob against its digest) and show its manifest and files; or, with a\n"
    "space and a tproc's ID or name, show that program as JSON: pid, args, env, cwd, state\n"
    "(running, paused or exited), started, memory (as tproc stats counts it), the endpoints it owns,\n"
    "its bundle and labels.\n";

const char* type_name(bundle::LayerEntry::Type type) {
  switch (type) {
    case bundle::LayerEntry::Type::file: return "file";
    case bundle::LayerEntry::Type::directory: return "dir";
    case bundle::LayerEntry::Type::symlink: return "symlink";
    case bundle::LayerEntry::Type::hardlink: return "hardlink";
  }
  return "?";
}

Result<int> inspect(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("inspect", 1, 2, "BUNDLE, or SPACE and ID|NAME"));
  if (arguments.positional().size() == 2) {
    if (arguments.has("format") && !json)
      return Error::explained("inspect SPACE ID|NAME: the output is JSON only (--format json)", EINVAL);
    TPROC_TRY(print_tproc_inspection(arguments.positional()[0], arguments.positional()[1]));
    return 0;
  }
  const std::string& path = arguments.positional()[0];

  bundle::BundleArchive archive = TPROC_TRY(bundle::BundleArchive::open(path));
  std::vector<bundle::LayerEntry> files = TPROC_TRY(archive.files(true));
  if (json) {
    std::printf("{\"bundle\": %s, \"digest\": %s, \"name\": %s, \"version\": %s, \"layer\": {\"digest\": %s, \"size\": %llu},\n",
                json_string(path).c_str(), json_string(archive.manifest_digest()).c_str(), json_string(archive.name()).c_str(),
                json_string(archive.version()).c_str(), json_string(archive.layer_digest()).c_str(),
                static_cast<unsigned long long>(archive.layer_size()));
    std::printf(" \"manifest\": %s,\n \"files\": [", archive.config_json().c_str());
    for (size_t i = 0; i < files.size(); ++i) {
      const bundle::LayerEntry& file = files[i];
      std::printf("%s\n  {\"path\": %s, \"type\": \"%s\", \"mode\": \"%04o\", \"size\": %llu", i ? "," : "",
                  json_string(file.path).c_str(), type_name(file.type), file.mode, static_cast<unsigned long long>(file.size));
      // Every file has both keys (one schema): null where it has no content digest or link target.
      std::printf(", \"digest\": %s, \"target\": %s}", file.digest.empty() ? "null" : json_string(file.digest).c_str(),
                  file.link_target.empty() ? "null" : json_string(file.link_target).c_str());
    }
    std::printf("\n ]}\n");
    return 0;
  }
  bundle::Manifest manifest = TPROC_TRY_CTX("bundle " + path, bundle::Manifest::from_json(archive.config_json()));
  std::printf("Bundle:     %s\nDigest:     %s\nName:       %s %s\nEntrypoint: %s\nLibraries:  %s\nLayer:      %s (%llu bytes)\n",
              terminal_text(path).c_str(), archive.manifest_digest().c_str(), terminal_text(manifest.name()).c_str(),
              terminal_text(manifest.version()).c_str(), terminal_text(manifest.entrypoint()).c_str(),
              std::string(bundle::to_string(manifest.libraries())).c_str(),
              archive.layer_digest().c_str(), static_cast<unsigned long long>(archive.layer_size()));
  if (!manifest.endpoints().empty()) {
    std::printf("Endpoints: ");
    for (const bundle::Endpoint& endpoint : manifest.endpoints()) std::printf(" %s", terminal_text(endpoint.name).c_str());
    std::printf("\n");
  }
  std::printf("\n");
  std::vector<std::vector<std::string>> rows;
  for (const bundle::LayerEntry& file : files) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", file.mode);
    rows.push_back({file.path, type_name(file.type), mode, human_size(file.size, SizeUnits::decimal),
                    file.digest.empty() ? file.link_target : file.digest.substr(0, 19)});
  }
  print_table({"PATH", "TYPE", "MODE", "SIZE", "DIGEST/TARGET"}, rows);
  return 0;
}

}  // namespace

const Command kInspectCommand{"inspect", bundle_tool_summary("inspect"), kUsage, inspect};

}  // namespace tproc::cli
