// tproc pull: fetch an image from an OCI registry into the image store and the bundle cache.

#include <cstdio>

#include "bundle/bundle_cache.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/progress_line.hpp"
#include "cli/transfer_arguments.hpp"
#include "distribution/image_pull.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc pull [-q] [--tls-verify=BOOL|--insecure] REF\n\n"
    "Pull a bundle pushed to an OCI registry, REF being [REGISTRY/]PATH[:TAG] or\n"
    "[REGISTRY/]PATH@sha256:DIGEST (pinned: the manifest must hash to it). Every blob is verified\n"
    "against its digest and the layer checked as for a bundle file before the cache takes it;\n"
    "`tproc run SPACE REF` then runs it. Prints REF@DIGEST. On a terminal, stderr shows the\n"
    "progress: skopeo's copy, then the verification and the unpack.\n\n"
    "Options:\n"
    "  -q, --quiet        no progress; print only REF@DIGEST\n";

Result<int> pull(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, transfer_option_specs({{"quiet", 'q', false}})));
  if (arguments.wants_help()) {
    std::printf("%s%s", kUsage, kTransferUsage);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("pull", 1, 1, "one REF"));
  distribution::TransferOptions options = TPROC_TRY(transfer_options(arguments));
  if (arguments.has("quiet")) options.progress = false;
  // After skopeo's own progress, tproc's verification and unpack into the cache.
  ProgressLine progress("tproc pull", options.progress);
  options.unpack_progress = &progress;
  const std::string context = "pull " + arguments.positional()[0];
  distribution::ImageReference reference = TPROC_TRY_CTX(context, distribution::ImageReference::parse(arguments.positional()[0]));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  distribution::ImageStore store(paths.home() + "/images");
  bundle::BundleCache cache(paths.home() + "/bundles");
  auto fetched = distribution::pull_image(reference, options, store, cache);
  progress.finish();
  distribution::PulledImage pulled = TPROC_TRY_CTX(context, std::move(fetched));
  std::printf("%s@%s\n", reference.digest().empty() ? reference.full().c_str() : reference.repository().c_str(),
              pulled.digest.c_str());
  return 0;
}

}  // namespace

const Command kPullCommand{"pull", bundle_tool_summary("pull"), kUsage, pull};

}  // namespace tproc::cli
