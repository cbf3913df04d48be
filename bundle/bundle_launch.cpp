#include "bundle/bundle_launch.hpp"

#include <elf.h>
#include <sys/resource.h>

#include <cstring>

#include "bundle/bundle_builder.hpp"
#include "bundle/runtime_recipe.hpp"
#include "loader/dependency_resolver.hpp"

namespace tproc::bundle {

Result<LaunchPlan> plan_launch(const BundleCache& cache, const std::string& bundle_path,
                               const std::vector<std::string>& user_args, Progress* progress) {
  CachedBundle bundle = TPROC_TRY(cache.ensure(bundle_path, progress));
  Manifest manifest = TPROC_TRY_CTX("bundle " + bundle_path, Manifest::from_json(bundle.config_json()));
  const std::string root = bundle.root();
  const std::string executable = "/" + bundled_executable(manifest);

  loader::ResolveOptions options;
  options.root = root;
  options.extra_dirs = {std::string("/") + kBundleLibDir};
  options.use_host = manifest.libraries() == LibraryPolicy::host;
  loader::ResolvedClosure closure =
      TPROC_TRY_CTX("bundle " + bundle_path + ": " + executable.substr(1), loader::resolve_dependencies(executable, options));

  LaunchPlan plan{std::move(bundle), std::move(manifest), {}, {}, {}, {}, {}, false, {}, {}};
  const Manifest& app = plan.manifest;
  const std::string executable_on_host = root + executable;
  plan.executable = executable_on_host;

  if (closure.interpreter) {
    plan.program = closure.interpreter->host_path;
    plan.argv = {closure.interpreter->path, "--library-path", root + "/" + kBundleLibDir};
    if (!options.use_host) plan.argv.push_back("--inhibit-cache");
    // argv[0] is the executable's path in the cache, as a container's is its entrypoint path:
    // programs find their own files from it (python3 its standard library).
    plan.argv.insert(plan.argv.end(), {"--argv0", executable_on_host, executable_on_host});
  } else {
    plan.program = executable_on_host;
    plan.argv = {executable_on_host};
  }
  // The manifest's args are defaults, as a container's CMD: arguments given to run replace them.
  const std::vector<std::string>& args = user_args.empty() ? app.args() : user_args;
  plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  plan.app_argv = {executable_on_host};
  plan.app_argv.insert(plan.app_argv.end(), args.begin(), args.end());

  // The recipe's environment first: the manifest's env, then -e, may override it.
  if (app.runtime() == Runtime::python3)
    for (std::string& setting : python_environment(root)) plan.env.push_back(std::move(setting));
  for (const auto& [key, value] : app.env()) plan.env.push_back(key + "=" + value);
  const MallocSettings& malloc_settings = app.malloc_settings();
  if (malloc_settings.policy == MallocPolicy::mmap_threshold)
    plan.env.push_back("MALLOC_MMAP_THRESHOLD_=" + std::to_string(malloc_settings.mmap_threshold));
  for (const auto& [key, value] : malloc_settings.tunables) plan.env.push_back(key + "=" + value);

  if (!app.workdir().empty()) plan.workdir = app.workdir();
  const Limits& limits = app.limits();
  if (limits.open_files) plan.limits.emplace_back(RLIMIT_NOFILE, *limits.open_files);
  if (limits.processes) plan.limits.emplace_back(RLIMIT_NPROC, *limits.processes);
  if (limits.address_space) plan.limits.emplace_back(RLIMIT_AS, *limits.address_space);
  if (limits.stack) plan.limits.emplace_back(RLIMIT_STACK, *limits.stack);
  plan.core_dumps = limits.core_dumps;
  return plan;
}

std::string shown_command(const LaunchPlan& plan) {
  // The app's arguments follow its path: after `--argv0 PATH PATH`, or argv[0] when it is static.
  const std::vector<std::string>& argv = plan.argv;
  size_t first = argv.empty() ? 0 : 1;
  for (size_t i = 0; i + 2 < argv.size(); ++i)
    if (argv[i] == "--argv0") {
      first = i + 3;
      break;
    }
  // The entrypoint's file name, not its path in the cache (.../bundles/DIGEST/rootfs/bin/app).
  std::string shown = plan.executable.substr(plan.executable.rfind('/') + 1);
  for (size_t i = first; i < argv.size(); ++i) shown += " " + argv[i];
  return shown;
}

}  // namespace tproc::bundle
