#include "compose/compose_config.hpp"

#include <yaml-cpp/yaml.h>

namespace tproc::compose {
namespace {

/// "10s" when whole seconds, else "1500ms": what parse_duration reads back.
std::string duration_text(std::chrono::milliseconds duration) {
  const auto count = duration.count();
  return count % 1000 == 0 ? std::to_string(count / 1000) + "s" : std::to_string(count) + "ms";
}

std::string absolute(const std::string& path, const std::string& directory) {
  return path.empty() || path[0] == '/' ? path : directory + "/" + path;
}

}  // namespace

std::string resolved_config(const ComposeManifest& manifest, const std::string& directory) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << manifest.name();
  out << YAML::Key << "space" << YAML::Value << manifest.space();
  out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
  for (const Service& service : manifest.services()) {
    out << YAML::Key << service.name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "bundle" << YAML::Value << absolute(service.bundle, directory);
    if (service.args) {
      out << YAML::Key << "args" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const std::string& arg : *service.args) out << YAML::DoubleQuoted << arg;
      out << YAML::EndSeq;
    }
    if (!service.environment.empty()) {
      out << YAML::Key << "environment" << YAML::Value << YAML::BeginMap;
      for (const auto& [key, value] : service.environment) out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
      out << YAML::EndMap;
    }
    // Unset, it is the bundle's own workdir, known once the bundle is built: left out, not guessed.
    if (!service.working_dir.empty()) out << YAML::Key << "working_dir" << YAML::Value << absolute(service.working_dir, directory);
    if (!service.depends_on.empty()) {
      out << YAML::Key << "depends_on" << YAML::Value << YAML::BeginMap;
      for (const Dependency& dependency : service.depends_on) {
        out << YAML::Key << dependency.service << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "condition" << YAML::Value << std::string(to_string(dependency.condition));
        if (dependency.timeout) out << YAML::Key << "timeout" << YAML::Value << duration_text(*dependency.timeout);
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    // Quoted: a bare `no` is a boolean to YAML 1.1 readers.
    out << YAML::Key << "restart" << YAML::Value << YAML::DoubleQuoted << to_string(service.restart);
    out << YAML::Key << "stop_signal" << YAML::Value << signal_name(service.stop_signal);
    out << YAML::Key << "stop_grace_period" << YAML::Value << duration_text(service.stop_grace_period);
    out << YAML::Key << "replicas" << YAML::Value << service.replicas;
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tproc::compose
