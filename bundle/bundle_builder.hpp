#pragma once
// Building a bundle: from a tproc.yaml to the list of files that travel, each with the reason it
// does, then to the bundle file itself.
//
// Layout inside a bundle:
//   bin/<entrypoint file name>   the executable
//   lib/<soname>                 every library of its DT_NEEDED closure, the interpreter
//                                (lib/<PT_INTERP file name>) and glibc's run-time family (NSS...)
//   <path as in files:>          extra files, at their path relative to the manifest
//                                (bundle/file_collector.hpp says which)
// With `libraries: host` only the executable and the extra files travel.

#include <string>
#include <vector>

#include "bundle/manifest.hpp"
#include "bundle/oci_layout.hpp"
#include "common/progress.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

/// The directory in a bundle that holds its libraries (what ld.so gets as --library-path).
inline constexpr const char* kBundleLibDir = "lib";
/// The directory in a bundle that holds the executable.
inline constexpr const char* kBundleBinDir = "bin";

/// One file of a planned bundle and why it is there ("entrypoint", "needed by bin/app"...).
struct PlannedFile {
  BundleFile file;
  std::string reason;
};

/// What `tproc build` will write.
struct BundlePlan {
  Manifest manifest;
  std::vector<PlannedFile> files;
  std::vector<std::string> warnings;  ///< what the build should say but that does not stop it
};

/// Reads the manifest at `manifest_path` and finds every file the bundle needs, resolving the
/// executable's dependencies on this machine. `output_path` is where the bundle will be written:
/// it, and earlier bundles beside it, are never collected by files:. Errors name the manifest and
/// the field. Reports "collecting files" (the count so far) to `progress`.
Result<BundlePlan> plan_bundle(const std::string& manifest_path, const std::string& output_path,
                               Progress* progress = nullptr);

/// Writes `plan` as a bundle file at `out_path` (reproducibly: same inputs, same bytes),
/// reporting to `progress` as write_bundle does.
Result<WrittenBundle> write_planned_bundle(const BundlePlan& plan, const std::string& out_path,
                                           Progress* progress = nullptr);

/// The path of the executable inside a bundle built from `manifest`.
std::string bundled_executable(const Manifest& manifest);

}  // namespace tproc::bundle
