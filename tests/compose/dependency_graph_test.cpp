// Specification of DependencyGraph: start order follows depends_on (file order among equals),
// and who depends on whom, for stopping in reverse.

#include "compose/dependency_graph.hpp"

#include <catch2/catch.hpp>

#include "compose/compose_manifest.hpp"

namespace {

using tproc::compose::ComposeManifest;
using tproc::compose::DependencyGraph;

DependencyGraph graph_of(std::string_view yaml) {
  auto app = ComposeManifest::parse(yaml, "app.yaml", "app");
  if (!app) FAIL(app.error().describe());
  auto graph = DependencyGraph::create(app->services(), "app.yaml");
  if (!graph) FAIL(graph.error().describe());
  return std::move(*graph);
}

}  // namespace

TEST_CASE("every service starts after what it depends on, independent ones keep file order") {
  const DependencyGraph graph = graph_of(
      "services:\n"
      "  client: {bundle: c, depends_on: [server, cache]}\n"
      "  server: {bundle: s, depends_on: [db]}\n"
      "  db: {bundle: d}\n"
      "  cache: {bundle: k}\n"
      "  logger: {bundle: l}\n");
  CHECK(graph.start_order() == std::vector<std::string>{"db", "server", "cache", "client", "logger"});
  CHECK(graph.dependencies_of("client") == std::vector<std::string>{"server", "cache"});
  CHECK(graph.dependents_of("server") == std::vector<std::string>{"client"});
  CHECK(graph.dependents_of("db") == std::vector<std::string>{"server"});
  CHECK(graph.dependents_of("logger").empty());
}

TEST_CASE("a diamond is not a cycle") {
  const DependencyGraph graph = graph_of(
      "services:\n"
      "  top: {bundle: t, depends_on: [left, right]}\n"
      "  left: {bundle: l, depends_on: [bottom]}\n"
      "  right: {bundle: r, depends_on: [bottom]}\n"
      "  bottom: {bundle: b}\n");
  CHECK(graph.start_order() == std::vector<std::string>{"bottom", "left", "right", "top"});
}
