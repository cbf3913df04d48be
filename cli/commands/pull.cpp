// tproc pull: fetch an image from an OCI registry into the image store and the bundle cache.

#include <cstdio>

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/transfer_arguments.hpp"
#include "distribution/image_pull.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc pull [--tls-verify=BOOL|--insecure] REF\n\n"
    "Pull a bundle pushed to an OCI registry, REF being [REGISTRY/]PATH[:TAG] or\n"
    "[REGISTRY/]PATH@sha256:DIGEST (pinned: the manifest must hash to it). Every blob is verified\n"
    "against its digest and the layer checked as for a bundle file before the cache takes it;\n"
    "`tproc run SPACE REF` then runs it. Prints REF@DIGEST.\n\n"
    "Options:\n";

Result<int> pull(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, transfer_option_specs({})));
  if (arguments.wants_help()) {
    std::printf("%s%s", kUsage, kTransferUsage);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("pull", 1, 1, "one REF"));
  const distribution::TransferOptions options = TPROC_TRY(transfer_options(arguments));
  const std::string context = "pull " + arguments.positional()[0];
  distribution::ImageReference reference = TPROC_TRY_CTX(context, distribution::ImageReference::parse(arguments.positional()[0]));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  distribution::ImageStore store(paths.home() + "/images");
  bundle::BundleCache cache(paths.home() + "/bundles");
  distribution::PulledImage pulled = TPROC_TRY_CTX(context, distribution::pull_image(reference, options, store, cache));
  std::printf("%s@%s\n", reference.digest().empty() ? reference.full().c_str() : reference.repository().c_str(),
              pulled.digest.c_str());
  return 0;
}

}  // namespace

const Command kPullCommand{"pull", bundle_tool_summary("pull"), kUsage, pull};

}  // namespace tproc::cli
