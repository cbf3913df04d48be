// tproc push: send a bundle file to an OCI registry.

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/transfer_arguments.hpp"
#include "distribution/image_push.hpp"
#include "distribution/image_store.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc push [-q] [--tls-verify=BOOL|--insecure] BUNDLE [REF]\n\n"
    "Verify a bundle and push it to an OCI registry as an image, REF being [REGISTRY/]PATH[:TAG]\n"
    "(default: the bundle's NAME:VERSION; a REF ending in '/' gets NAME:VERSION appended:\n"
    "localhost:5000/team/ pushes localhost:5000/team/NAME:VERSION). No registry means docker.io.\n"
    "The image keeps the bundle's digest, printed as REF@DIGEST. Credentials: tproc login.\n"
    "On a terminal, skopeo's progress is shown on stderr.\n\n"
    "Options:\n"
    "  -q, --quiet        no progress; print only REF@DIGEST\n";

Result<int> push(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, transfer_option_specs({{"quiet", 'q', false}})));
  if (arguments.wants_help()) {
    std::printf("%s%s", kUsage, kTransferUsage);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("push", 1, 2, "BUNDLE and at most one REF"));
  distribution::TransferOptions options = TPROC_TRY(transfer_options(arguments));
  if (arguments.has("quiet")) options.progress = false;
  const std::string& bundle = arguments.positional()[0];
  const std::string target = arguments.positional().size() > 1 ? arguments.positional()[1] : "";
  const std::string context = "push " + bundle + (target.empty() ? "" : " " + target);
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  distribution::ImageStore store(paths.home() + "/images");
  distribution::ScratchDirectory scratch = TPROC_TRY_CTX(context, store.scratch());
  distribution::PushedImage pushed = TPROC_TRY_CTX(context, distribution::push_bundle(bundle, target, options, scratch.path()));
  std::printf("%s@%s\n", pushed.reference.c_str(), pushed.digest.c_str());
  return 0;
}

}  // namespace

const Command kPushCommand{"push", bundle_tool_summary("push"), kUsage, push};

}  // namespace tproc::cli
