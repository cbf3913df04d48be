// tproc run, for bundles (in the bundle tool): unpack the bundle once into the cache, check it,
// plan its launch through its own ld.so, then run the same session as for an executable.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "bundle/bundle_launch.hpp"
#include "cli/command.hpp"
#include "cli/progress_line.hpp"
#include "cli/run_session.hpp"
#include "distribution/image_pull.hpp"

namespace tproc::cli {
namespace {

Result<int> run_bundle(std::span<char* const> args) {
  RunInvocation invocation = TPROC_TRY(RunInvocation::parse(args));
  if (invocation.wants_help) {
    std::fputs(kRunUsage, stdout);
    return 0;
  }
  if (!invocation.rootfs.empty())
    return Error::explained("run " + invocation.target + ": --rootfs takes an executable inside DIR; a bundle brings its "
                                "own files (--hostname, --net and --pid apply to bundles)", ENOTSUP);
  if (invocation.user)
    return Error::explained("run " + invocation.target + ": -u " + invocation.user->spec + " does not apply to a bundle: its "
                                "files are in the bundle cache, which only the cache's owner may read", ENOTSUP);
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string context = "run " + invocation.target;
  bundle::BundleCache cache(paths.home() + "/bundles");
  std::string bundle_path = invocation.target;
  // The first run of a bundle unpacks it into the cache: a terminal sees how far (erased before
  // the program's own output); a cached bundle draws nothing.
  ProgressLine progress("tproc run", !invocation.quiet);
  struct stat status;
  if (::stat(bundle_path.c_str(), &status) != 0 && errno == ENOENT) {
    // An image reference (cli/commands/run.cpp): the store's, or pulled on first use.
    distribution::ImageReference reference = TPROC_TRY_CTX(context, distribution::ImageReference::parse(bundle_path));
    distribution::TransferOptions options;
    options.progress = progress.shown();
    options.unpack_progress = &progress;
    distribution::ImageStore store(paths.home() + "/images");
    bool pulled = false;
    auto found = distribution::find_or_pull(reference, options, store, cache, pulled);
    progress.finish();
    bundle_path = TPROC_TRY_CTX(context, std::move(found));
  }
  auto planned = bundle::plan_launch(cache, bundle_path, invocation.args, &progress);
  progress.finish();
  bundle::LaunchPlan launch = TPROC_TRY_CTX(context, std::move(planned));

  PreparedRun prepared;
  protocol::RunRequest& request = prepared.request;
  request.argv = launch.argv;
  request.app_argv = launch.app_argv;
  request.execfn = launch.program;
  request.default_name = launch.manifest.name();
  request.bundle_name = launch.manifest.name();
  request.command = bundle::shown_command(launch);
  for (const auto& [resource, value] : launch.limits) request.limits.push_back(protocol::RunLimit{resource, value});
  request.core_dumps = launch.core_dumps;
  request.bundle = launch.bundle.digest();
  for (const bundle::Endpoint& endpoint : launch.manifest.endpoints())
    request.endpoints.push_back({endpoint.name, endpoint.symbol, endpoint.kind, endpoint.ready == bundle::Readiness::at_start});
  prepared.executable = TPROC_TRY_CTX(context, open_executable(request.execfn));
  // The bundle stays marked in use (bundle_cache.hpp) for as long as the daemon holds this lock;
  // a non-PIE executable gets its range reserved by the daemon before ld.so maps it there.
  request.holds_lock = true;
  prepared.held_lock_fd = launch.bundle.lock_fd();
  prepared.executable_image.reset(::open(launch.executable.c_str(), O_RDONLY | O_CLOEXEC));
  if (!prepared.executable_image) return Error::from_errno(context + ": " + launch.executable);
  request.passes_executable = true;
  prepared.env = launch.env;
  prepared.workdir = launch.workdir;
  return run_in_space(paths, invocation, std::move(prepared));
}

}  // namespace

const Command kRunBundleCommand{"run", "Run a bundle in a space", kRunUsage, run_bundle, run_exit_code};

}  // namespace tproc::cli
