#include "compose/dependency_graph.hpp"

#include <cerrno>

#include "common/printable.hpp"
#include "common/nearest_word.hpp"

namespace tproc::compose {
namespace {

Error located(std::string_view file_name, const Dependency& dependency, const std::string& what) {
  return Error::explained(std::string(file_name) + ":" + std::to_string(dependency.where.line) + ":" +
                              std::to_string(dependency.where.column) + ": " + dependency.path + ": " + what,
                          EINVAL);
}

}  // namespace

size_t DependencyGraph::index_of(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  return names_.size();
}

Result<DependencyGraph> DependencyGraph::create(const std::vector<Service>& services, std::string_view file_name) {
  DependencyGraph graph;
  for (const Service& service : services) graph.names_.push_back(service.name);
  std::vector<std::string_view> known(graph.names_.begin(), graph.names_.end());
  graph.dependencies_.resize(services.size());
  for (size_t i = 0; i < services.size(); ++i) {
    for (const Dependency& dependency : services[i].depends_on) {
      const size_t target = graph.index_of(dependency.service);
      if (target == graph.names_.size()) {
        std::string what = "unknown service '" + printable(dependency.service, 64) + "'";
        if (auto suggestion = nearest_word(dependency.service, known))
          what += " (did you mean '" + std::string(*suggestion) + "'?)";
        else
          what += " (services: " + one_of(known) + ")";
        return located(file_name, dependency, what);
      }
      graph.dependencies_[i].push_back(target);
    }
  }

  // Depth-first search in file order: a node met again while still on the stack closes a cycle,
  // reported at the dependency that closes it, naming every service on the way round.
  enum Mark { unvisited, on_stack, done };
  std::vector<Mark> marks(services.size(), unvisited);
  std::vector<size_t> stack;
  std::optional<Error> cycle;
  auto visit = [&](auto&& self, size_t node) -> void {
    marks[node] = on_stack;
    stack.push_back(node);
    for (size_t k = 0; k < graph.dependencies_[node].size() && !cycle; ++k) {
      const size_t next = graph.dependencies_[node][k];
      if (marks[next] == on_stack) {
        std::string path;
        size_t from = 0;
        while (stack[from] != next) ++from;
        for (size_t s = from; s < stack.size(); ++s) path += graph.names_[stack[s]] + " -> ";
        path += graph.names_[next];
        cycle = located(file_name, services[node].depends_on[k], "dependency cycle: " + path);
        return;
      }
      if (marks[next] == unvisited) self(self, next);
    }
    stack.pop_back();
    marks[node] = done;
    if (!cycle) graph.order_.push_back(graph.names_[node]);
  };
  for (size_t i = 0; i < services.size() && !cycle; ++i)
    if (marks[i] == unvisited) visit(visit, i);
  if (cycle) return std::move(*cycle);
  return graph;
}

std::vector<std::string> DependencyGraph::dependencies_of(std::string_view name) const {
  std::vector<std::string> out;
  const size_t index = index_of(name);
  if (index == names_.size()) return out;
  for (size_t dependency : dependencies_[index]) out.push_back(names_[dependency]);
  return out;
}

std::vector<std::string> DependencyGraph::dependents_of(std::string_view name) const {
  std::vector<std::string> out;
  const size_t index = index_of(name);
  for (size_t i = 0; i < names_.size(); ++i)
    for (size_t dependency : dependencies_[i])
      if (dependency == index) {
        out.push_back(names_[i]);
        break;
      }
  return out;
}

}  // namespace tproc::compose
