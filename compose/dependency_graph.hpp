#pragma once
// DependencyGraph: the services of an app and who waits for whom (`depends_on`).
//
// Invariant: a graph that exists names only known services and has no cycle, so start_order()
// always lists every service, each after everything it depends on; services that do not depend
// on each other (directly or not) may start concurrently, and stop in the reverse order.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "compose/compose_manifest.hpp"

namespace tproc::compose {

/// The dependency graph of an app's services.
class DependencyGraph {
 public:
  /// Checks `services`' dependencies. An unknown service or a cycle is an error
  /// `FILE:LINE:COL: services.a.depends_on.b: …` naming the service or the whole cycle.
  static Result<DependencyGraph> create(const std::vector<Service>& services, std::string_view file_name);

  /// Every service, each after its dependencies; ties keep file order.
  const std::vector<std::string>& start_order() const { return order_; }
  /// The services `name` depends on directly.
  std::vector<std::string> dependencies_of(std::string_view name) const;
  /// The services that depend on `name` directly.
  std::vector<std::string> dependents_of(std::string_view name) const;

 private:
  DependencyGraph() = default;
  std::vector<std::string> names_;                ///< file order
  std::vector<std::vector<size_t>> dependencies_;  ///< by index into names_
  std::vector<std::string> order_;
  size_t index_of(std::string_view name) const;
};

}  // namespace tproc::compose
