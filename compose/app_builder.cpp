#include "compose/app_builder.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <map>
#include <cstring>

#include "bundle/bundle_builder.hpp"
#include "bundle/bundle_cache.hpp"
#include "bundle/bundle_launch.hpp"
#include "bundle/bundle_probe.hpp"
#include "common/printable.hpp"

namespace tproc::compose {
namespace {

std::string absolute(const std::string& path, const std::string& directory) {
  return !path.empty() && path[0] == '/' ? path : directory + "/" + path;
}

std::string directory_of(const std::string& file) {
  const size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
}

Error located(const std::string& file, const SourceLocation& where, const std::string& path, const std::string& what,
              int code = EINVAL) {
  return Error::explained(file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " + path + ": " + what,
                          code);
}

}  // namespace

Result<AppSpec> resolve_app(const ComposeManifest& manifest, const std::string& compose_file, const AppPaths& paths,
                            const std::string& cache_root, const std::function<void(const std::string&)>& progress) {
  char resolved[PATH_MAX];
  if (!::realpath(compose_file.c_str(), resolved)) return Error::from_errno(compose_file);
  AppSpec spec;
  spec.name = manifest.name();
  spec.space = manifest.space();
  spec.compose_file = resolved;
  const std::string app_directory = directory_of(spec.compose_file);
  bundle::BundleCache cache(cache_root);
  std::map<std::string, std::string> built;  // manifest → bundle: services that share one build it once

  for (const Service& service : manifest.services()) {
    ServiceSpec resolved_service;
    resolved_service.service = service;
    const std::string field = "services." + service.name + ".bundle";
    auto fail = [&](const std::string& what, int code = EINVAL) { return located(compose_file, service.where, field, what, code); };
    const std::string path = absolute(service.bundle, app_directory);
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
      const int error = errno;
      return fail(printable(service.bundle) + ": " + std::strerror(error), error);
    }

    std::string manifest_path;
    if (S_ISDIR(st.st_mode)) manifest_path = (::realpath(path.c_str(), resolved) ? std::string(resolved) : path) + "/tproc.yaml";
    else if (!bundle::looks_like_bundle(path)) manifest_path = path;
    if (!manifest_path.empty() && !S_ISDIR(st.st_mode)) {
      // Read as a manifest only if it is named as one (after links): a manifest error quotes the
      // file, and `bundle: /etc/shadow` must not print root's hash line.
      const std::string real = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
      if (!real.ends_with(".yaml") && !real.ends_with(".yml"))
        return fail(printable(service.bundle) + ": not a bundle, nor a directory with a tproc.yaml, nor a .yaml/.yml manifest",
                    EINVAL);
    }
    if (!manifest_path.empty() && built.count(manifest_path)) {
      resolved_service.bundle_path = built[manifest_path];
    } else if (!manifest_path.empty()) {
      // A directory or a manifest: build it, as `tproc build` would.
      progress("building " + service.name + " from " + printable(manifest_path));
      resolved_service.bundle_path = paths.bundles() + "/" + service.name + ".bundle";
      auto plan = bundle::plan_bundle(manifest_path, resolved_service.bundle_path);
      if (!plan) return fail("build " + printable(manifest_path) + ": " + plan.error().describe(), plan.error().code());
      for (const std::string& warning : plan->warnings) progress("warning: " + service.name + ": " + warning);
      auto written = bundle::write_planned_bundle(*plan, resolved_service.bundle_path);
      if (!written) return fail("build " + printable(manifest_path) + ": " + written.error().describe(), written.error().code());
      built[manifest_path] = resolved_service.bundle_path;
    } else {
      resolved_service.bundle_path = path;
    }

    // Unpack and resolve now: a service that cannot start fails `up` before anything starts.
    auto launch = bundle::plan_launch(cache, resolved_service.bundle_path, service.args.value_or(std::vector<std::string>{}));
    if (!launch) return fail(launch.error().describe(), launch.error().code());
    resolved_service.bundle_digest = launch->bundle.digest();
    for (const bundle::Endpoint& endpoint : launch->manifest.endpoints()) resolved_service.endpoints.push_back(endpoint.name);
    if (!service.working_dir.empty()) resolved_service.service.working_dir = absolute(service.working_dir, app_directory);
    if (service.replicas > 1 && !resolved_service.endpoints.empty())
      return located(compose_file, service.where, "services." + service.name + ".replicas",
                     std::to_string(service.replicas) + " replicas of a bundle that declares endpoints ('" +
                         printable(resolved_service.endpoints[0]) + "'): an endpoint name is live once per space");
    spec.services.push_back(std::move(resolved_service));
  }

  // `ready` means the dependency's declared endpoints are ready: it needs some to wait for.
  for (const ServiceSpec& dependent : spec.services)
    for (const Dependency& dependency : dependent.service.depends_on)
      if (dependency.condition == Condition::ready && spec.find(dependency.service)->endpoints.empty())
        return located(compose_file, dependency.where, dependency.path,
                       "condition 'ready' waits for the endpoints " + dependency.service +
                           "'s bundle declares, and it declares none (use 'started', or declare endpoints in its tproc.yaml)");
  return spec;
}

}  // namespace tproc::compose
