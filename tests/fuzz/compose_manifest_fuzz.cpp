// Fuzz target for ComposeManifest::parse, which reads the compose file (app.yaml) `tproc up` is
// given: any text either fails with the documented one-line error or yields an app whose
// dependency graph orders every service after its dependencies, and whose services survive the
// record encoding the app's spec file uses.
//
// Properties, from compose/compose_manifest.hpp, dependency_graph.hpp and record_file.hpp:
//   - an error is one line that starts with the file name, with errno EINVAL;
//   - a parsed app has services, each with a bundle; its graph lists each service exactly once,
//     after every service it depends on;
//   - every string a service holds reads back unchanged from a record line, which has no newline.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compose/compose_manifest.hpp"
#include "compose/dependency_graph.hpp"
#include "compose/record_file.hpp"

namespace {

/// Traps (a crash libFuzzer records) unless `property` holds.
void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tproc::compose;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto app = ComposeManifest::parse(text, "fuzz.yaml", "fuzz");
  if (!app) {
    const std::string& message = app.error().message();
    require(app.error().code() == EINVAL);
    require(message.starts_with("fuzz.yaml:"));
    require(message.find('\n') == std::string::npos);
    return 0;
  }
  require(!app->services().empty());
  require(valid_space_name(app->name()) && valid_space_name(app->space()));

  auto graph = DependencyGraph::create(app->services(), "fuzz.yaml");
  require(graph.has_value());
  const auto& order = graph->start_order();
  require(order.size() == app->services().size());
  for (size_t i = 0; i < order.size(); ++i)
    for (const std::string& dependency : graph->dependencies_of(order[i])) {
      size_t at = 0;
      while (at < order.size() && order[at] != dependency) ++at;
      require(at < i);
    }

  for (const Service& service : app->services()) {
    require(!service.bundle.empty());
    Record record{service.name, service.bundle, service.working_dir};
    if (service.args) record.insert(record.end(), service.args->begin(), service.args->end());
    for (const auto& [key, value] : service.environment) record.insert(record.end(), {key, value});
    const std::string line = encode_record(record);
    require(line.find('\n') == std::string::npos);
    require(decode_record(line) == record);
  }
  return 0;
}
