// tproc build: package an app (its executable, every library it needs, its files) as a bundle.

#include <unistd.h>

#include <cstdio>

#include "bundle/bundle_builder.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/progress_line.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc build [OPTIONS] [DIR]\n\n"
    "Build a bundle from DIR/tproc.yaml (default: ./tproc.yaml): the executable, the shared\n"
    "libraries and interpreter it needs (found by tproc itself, never by running it), the files the\n"
    "manifest names, as one OCI image layout archive. The same inputs give a byte-identical bundle.\n"
    "files: patterns match as in gitignore (** across directories; a directory brings its tree),\n"
    "less exclude:; the bundle being written and earlier bundles beside it are never taken.\n"
    "runtime: python3 adds the entrypoint python's standard library and sets PYTHONHOME at run time;\n"
    "without it, a python whose standard library is not in the bundle gets a warning.\n\n"
    "Options:\n"
    "  -f, --file FILE    the manifest (default: DIR/tproc.yaml)\n"
    "  -o, --output FILE  where to write the bundle (default: NAME.bundle)\n"
    "  -v, --verbose      list every file taken and why\n"
    "  -q, --quiet        no progress; print only the bundle's digest\n\n"
    "On a terminal, stderr shows the progress: files collected, then bytes compressed.\n";

Result<int> build(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"file", 'f', true}, {"output", 'o', true}, {"verbose", 'v', false}, {"quiet", 'q', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("build", 0, 1, "at most one DIR"));
  const std::string dir = arguments.positional().empty() ? "." : arguments.positional()[0];
  const std::string manifest_path = arguments.value("file", dir + "/tproc.yaml");

  // The output is known before planning: files: never collects the bundle it is written into.
  const std::string output = arguments.has("output")
                                 ? arguments.value("output", "")
                                 : TPROC_TRY_CTX("build", bundle::Manifest::load(manifest_path)).name() + ".bundle";
  const bool quiet = arguments.has("quiet");
  ProgressLine progress("tproc build", !quiet);
  bundle::BundlePlan plan = TPROC_TRY_CTX("build", bundle::plan_bundle(manifest_path, output, &progress));
  progress.finish();
  for (const std::string& warning : plan.warnings) std::fprintf(stderr, "tproc: build: warning: %s\n", warning.c_str());
  if (arguments.has("verbose"))
    for (const bundle::PlannedFile& planned : plan.files)
      std::fprintf(stderr, "  %-40s %s\n", planned.file.path.c_str(), planned.reason.c_str());
  bundle::WrittenBundle written = TPROC_TRY_CTX("build " + output, bundle::write_planned_bundle(plan, output, &progress));
  progress.finish();
  if (quiet)
    std::printf("%s\n", written.manifest_digest.c_str());
  else
    std::printf("%s %s (%zu files)\n", output.c_str(), written.manifest_digest.c_str(), plan.files.size());
  return 0;
}

}  // namespace

const Command kBuildCommand{"build", bundle_tool_summary("build"), kUsage, build};

}  // namespace tproc::cli
