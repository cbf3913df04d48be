#pragma once
// AppSpec: what an app should be, resolved — every service with the bundle file it runs (built if
// the compose file named a directory), that bundle's digest and declared endpoints, and an
// absolute working directory. `tproc up` writes it; the supervisor reads it and makes the app so.
//
// A service's `definition()` is a digest of everything that decides how its tprocs start (bundle
// digest included): when `tproc up` runs again, services whose definition is unchanged are left
// running, the others are replaced.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "compose/compose_manifest.hpp"

namespace tproc::compose {

/// One service, ready to start.
struct ServiceSpec {
  Service service;                     ///< as the compose file says (working_dir made absolute)
  std::string bundle_path;             ///< an absolute path to a bundle file
  std::string bundle_digest;           ///< its manifest digest ("sha256:…")
  std::vector<std::string> endpoints;  ///< names its bundle declares (what `ready` waits for)

  /// A digest of the whole definition (hex).
  std::string definition() const;
};

/// The whole app.
struct AppSpec {
  std::string name;
  std::string space;
  std::string compose_file;  ///< absolute
  std::vector<ServiceSpec> services;  ///< in compose file order

  const ServiceSpec* find(const std::string& name) const;

  /// Writes the spec to `path` (atomically).
  Result<void> save(const std::string& path) const;
  /// Reads a spec written by save().
  static Result<AppSpec> load(const std::string& path);
};

}  // namespace tproc::compose
