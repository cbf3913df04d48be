#include "compose/compose_manifest.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cmath>

#include "common/nearest_word.hpp"
#include "space/space_name.hpp"
#include "compose/dependency_graph.hpp"
#include "yaml/document.hpp"
#include "yaml/field_reader.hpp"
#include "yaml/manifest_file.hpp"

namespace tproc::compose {
namespace {

using yaml::Entry;
using yaml::Field;
using yaml::FieldReader;
using yaml::parse_decimal;
using yaml::quoted;

constexpr size_t kMaxComposeBytes = size_t{1} << 20;
constexpr uint32_t kMaxReplicas = 64;
constexpr size_t kMaxServices = 256;

// `version` is what docker compose files carried before the Compose Specification made it
// obsolete: accepted (a scalar) and ignored, as docker compose does, so their files load here.
constexpr std::array<std::string_view, 4> kTopKeys = {"name", "space", "services", "version"};
constexpr std::array<std::string_view, 10> kServiceKeys = {
    "bundle", "command", "args", "environment", "working_dir", "depends_on", "restart", "stop_signal",
    "stop_grace_period", "replicas"};
constexpr std::array<std::string_view, 2> kDependencyKeys = {"condition", "timeout"};
constexpr std::array<std::string_view, 3> kConditions = {"started", "ready", "completed_successfully"};
constexpr std::array<std::string_view, 4> kRestartModes = {"no", "always", "on-failure", "unless-stopped"};

bool valid_service_name(std::string_view name) {
  auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  auto tail = [&](char c) { return head(c) || c == '_' || c == '-'; };
  return !name.empty() && name.size() <= 48 && head(name[0]) && std::all_of(name.begin() + 1, name.end(), tail);
}

bool valid_env_name(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name.find('=') == std::string_view::npos &&
         std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

/// Splits a `command` string into words: whitespace separates, '…' and "…" quote, \ escapes.
std::optional<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size()) word += text[++i];
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

/// Turns the YAML document into a ComposeManifest, one field at a time, naming the first thing wrong.
class ComposeDecoder {
 public:
  ComposeDecoder(std::string_view file_name, std::string_view default_name)
      : reader_(file_name), default_name_(default_name) {}

  Result<ComposeManifest> decode(std::string_view text) const {
    if (text.size() > kMaxComposeBytes) return reader_.fail(YAML::Mark(), "", "compose file is larger than 1 MiB");
    const YAML::Node document = TPROC_TRY(yaml::load_document(text, reader_));
    if (!document.IsDefined() || document.IsNull())
      return reader_.fail(YAML::Mark(), "", "empty compose file (expected a map with services)");
    return reader_.guarded([&] { return decode_app(FieldReader::root(document)); });
  }

 private:
  static SourceLocation location(const YAML::Mark& mark) {
    const yaml::Position where = FieldReader::position(mark);
    return SourceLocation{where.line, where.column};
  }

  Result<std::chrono::milliseconds> duration_of(const Field& field) const {
    const std::string text = TPROC_TRY(reader_.string_of(field));
    auto duration = parse_duration(text);
    if (!duration) return reader_.fail(field, duration.error().message());
    return *duration;
  }

  Result<std::string> space_name_of(const Field& field) const {
    const std::string name = TPROC_TRY(reader_.string_of(field));
    if (!valid_space_name(name))
      return reader_.fail(field, "invalid name " + quoted(name) + ": expected " + space::kSpaceNameRule);
    return name;
  }

  Result<ComposeManifest> decode_app(const Field& root) const {
    ComposeManifest manifest;
    std::optional<Field> services;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(root, kTopKeys))) {
      if (entry.key == "name") manifest.name_ = TPROC_TRY(space_name_of(entry.value));
      else if (entry.key == "space") manifest.space_ = TPROC_TRY(space_name_of(entry.value));
      else if (entry.key == "services") services = entry.value;
      else if (entry.key == "version") TPROC_TRY(reader_.string_of(entry.value));  // checked, then ignored
    }
    if (manifest.name_.empty()) {
      if (!valid_space_name(default_name_))
        return reader_.fail(root.mark, "name",
                            "the app needs a name: its directory's name " + quoted(default_name_) + " is not a valid one");
      manifest.name_ = default_name_;
    }
    if (manifest.space_.empty()) manifest.space_ = manifest.name_;
    if (!services) return reader_.fail(root.mark, "services", "missing required field");
    if (services->node.IsMap() && services->node.size() == 0) return reader_.fail(*services, "an app needs at least one service");
    const std::vector<Entry> entries = TPROC_TRY(reader_.entries_of(*services, {}));
    if (entries.size() > kMaxServices) return reader_.fail(*services, "more than " + std::to_string(kMaxServices) + " services");
    for (const Entry& entry : entries) manifest.services_.push_back(TPROC_TRY(decode_service(entry)));
    TPROC_TRY(DependencyGraph::create(manifest.services_, reader_.file_name()));
    return manifest;
  }

  Result<Service> decode_service(const Entry& entry) const {
    Service service;
    service.name = entry.key;
    service.where = location(entry.key_mark);
    if (!valid_service_name(service.name))
      return reader_.fail(entry.key_mark, entry.value.path,
                          "invalid service name: expected 1-48 characters from A-Z a-z 0-9 _ -, starting with a letter or digit");
    if (entry.value.node.IsNull()) return reader_.fail(entry.value, "missing required field 'bundle'");
    bool has_bundle = false;
    std::optional<Field> command_field;
    for (const Entry& item : TPROC_TRY(reader_.entries_of(entry.value, kServiceKeys))) {
      const Field& field = item.value;
      if (item.key == "bundle") {
        service.bundle = TPROC_TRY(reader_.nonempty_string_of(field));
        has_bundle = true;
      } else if (item.key == "command" || item.key == "args") {
        if (command_field) return reader_.fail(item.key_mark, field.path, "give either 'command' or 'args', not both");
        command_field = field;
        if (field.node.IsScalar() && item.key == "command") {
          const std::string command = TPROC_TRY(reader_.string_of(field));
          auto words = split_words(command);
          if (!words) return reader_.fail(field, "unterminated quote");
          service.args = std::move(*words);
        } else if (field.node.IsNull()) {
          service.args = std::vector<std::string>{};
        } else {
          service.args = TPROC_TRY(reader_.strings_of(field, yaml::EmptyStrings::allowed));
        }
      } else if (item.key == "environment") {
        service.environment = TPROC_TRY(environment_of(field));
      } else if (item.key == "working_dir") {
        service.working_dir = TPROC_TRY(reader_.nonempty_string_of(field));
      } else if (item.key == "depends_on") {
        service.depends_on = TPROC_TRY(dependencies_of(field));
      } else if (item.key == "restart") {
        service.restart = TPROC_TRY(restart_of(field));
      } else if (item.key == "stop_signal") {
        const std::string text = TPROC_TRY(reader_.string_of(field));
        auto signal = parse_signal_name(text);
        if (!signal) return reader_.fail(field, "unknown signal " + quoted(text) + " (expected a name such as TERM or INT, or a number)");
        if (*signal == SIGKILL || *signal == SIGSTOP) return reader_.fail(field, "a stop signal must be one a program can handle, not " + text);
        service.stop_signal = *signal;
      } else if (item.key == "stop_grace_period") {
        service.stop_grace_period = TPROC_TRY(duration_of(field));
      } else if (item.key == "replicas") {
        const std::string text = TPROC_TRY(reader_.string_of(field));
        const auto count = parse_decimal(text);
        if (!count || *count < 1 || *count > kMaxReplicas)
          return reader_.fail(field, "expected a number of replicas from 1 to " + std::to_string(kMaxReplicas) + ", got " + quoted(text));
        service.replicas = static_cast<uint32_t>(*count);
      }
    }
    if (!has_bundle) return reader_.fail(entry.key_mark, yaml::join_path(entry.value.path, "bundle"), "missing required field");
    return service;
  }

  // `environment` as a map (KEY: value) or a list of KEY=VALUE, in file order.
  Result<std::vector<std::pair<std::string, std::string>>> environment_of(const Field& field) const {
    std::vector<std::pair<std::string, std::string>> values;
    auto add = [&](const std::string& key, std::string value, const Field& where) -> Result<void> {
      if (!valid_env_name(key)) return reader_.fail(where, "invalid variable name " + quoted(key));
      for (const auto& [existing, _] : values)
        if (existing == key) return reader_.fail(where, "variable " + quoted(key) + " given twice");
      values.emplace_back(key, std::move(value));
      return ok();
    };
    if (field.node.IsSequence()) {
      size_t index = 0;
      for (const YAML::Node& item : field.node) {
        const Field entry = FieldReader::element(field, item, index++);
        const std::string text = TPROC_TRY(reader_.string_of(entry));
        const size_t equals = text.find('=');
        if (equals == std::string::npos || equals == 0) return reader_.fail(entry, "expected KEY=VALUE, got " + quoted(text));
        TPROC_TRY(add(text.substr(0, equals), text.substr(equals + 1), entry));
      }
      return values;
    }
    if (!field.node.IsMap()) return reader_.type_error(field, "a map of variables or a list of KEY=VALUE");
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(field, {}))) {
      if (entry.value.node.IsNull()) return reader_.fail(entry.value, "expected a string, got null (write \"\" for an empty value)");
      TPROC_TRY(add(entry.key, TPROC_TRY(reader_.string_of(entry.value)), entry.value));
    }
    return values;
  }

  // `depends_on` as a list of names (condition `started`) or a map of name → {condition, timeout}.
  Result<std::vector<Dependency>> dependencies_of(const Field& field) const {
    std::vector<Dependency> dependencies;
    if (field.node.IsSequence()) {
      size_t index = 0;
      for (const YAML::Node& item : field.node) {
        const Field entry = FieldReader::element(field, item, index++);
        Dependency dependency;
        dependency.service = TPROC_TRY(reader_.nonempty_string_of(entry));
        dependency.where = location(entry.mark);
        dependency.path = yaml::join_path(field.path, dependency.service);
        for (const Dependency& existing : dependencies)
          if (existing.service == dependency.service) return reader_.fail(entry, "service " + quoted(dependency.service) + " listed twice");
        dependencies.push_back(std::move(dependency));
      }
      return dependencies;
    }
    if (!field.node.IsMap()) return reader_.type_error(field, "a list of services or a map of service: {condition: …}");
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(field, {}))) {
      Dependency dependency;
      dependency.service = entry.key;
      dependency.where = location(entry.key_mark);
      dependency.path = entry.value.path;
      if (!entry.value.node.IsNull()) {
        for (const Entry& item : TPROC_TRY(reader_.entries_of(entry.value, kDependencyKeys))) {
          if (item.key == "condition") {
            dependency.condition = static_cast<Condition>(TPROC_TRY(reader_.choice_of(item.value, kConditions)));
          } else if (item.key == "timeout") {
            dependency.timeout = TPROC_TRY(duration_of(item.value));
          }
        }
      }
      dependencies.push_back(std::move(dependency));  // a key given twice was refused by entries_of
    }
    return dependencies;
  }

  Result<RestartPolicy> restart_of(const Field& field) const {
    const std::string text = TPROC_TRY(reader_.string_of(field));
    RestartPolicy policy;
    std::string mode = text;
    // YAML reads an unquoted `no` as a boolean false: accept the words it spells.
    if (mode == "false" || mode == "False" || mode == "FALSE" || mode == "No" || mode == "NO") mode = "no";
    const size_t colon = mode.find(':');
    if (colon != std::string::npos) {
      if (mode.substr(0, colon) != "on-failure")
        return reader_.fail(field, "only 'on-failure' takes a maximum (on-failure:N), got " + quoted(text));
      const auto max = parse_decimal(std::string_view(mode).substr(colon + 1));
      if (!max || *max > UINT32_MAX) return reader_.fail(field, "expected on-failure:N with N a number of retries, got " + quoted(text));
      policy.mode = RestartMode::on_failure;
      policy.max_retries = static_cast<uint32_t>(*max);
      return policy;
    }
    const auto found = std::find(kRestartModes.begin(), kRestartModes.end(), mode);
    if (found == kRestartModes.end()) {
      std::string what = "expected 'no', 'always', 'on-failure[:max]' or 'unless-stopped', got " + quoted(text);
      if (auto suggestion = nearest_word(mode, kRestartModes)) what += " (did you mean '" + std::string(*suggestion) + "'?)";
      return reader_.fail(field, what);
    }
    policy.mode = static_cast<RestartMode>(found - kRestartModes.begin());
    return policy;
  }

  FieldReader reader_;
  std::string default_name_;
};

Result<ComposeManifest> ComposeManifest::parse(std::string_view text, std::string_view file_name, std::string_view default_name) {
  return ComposeDecoder(file_name, default_name).decode(text);
}

Result<ComposeManifest> ComposeManifest::load(const std::string& path) {
  const std::string text = TPROC_TRY(yaml::read_manifest_file(path, kMaxComposeBytes, "compose file"));
  // The default app name: the name of the directory that holds the file.
  char resolved[PATH_MAX];
  std::string directory = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
  directory = directory.substr(0, directory.find_last_of('/') == std::string::npos ? 0 : directory.find_last_of('/'));
  const std::string default_name = directory.substr(directory.find_last_of('/') + 1);
  return parse(text, path, default_name);
}

const Service* ComposeManifest::find(std::string_view name) const {
  for (const Service& service : services_)
    if (service.name == name) return &service;
  return nullptr;
}

std::string_view to_string(Condition condition) { return kConditions[static_cast<size_t>(condition)]; }

std::string to_string(const RestartPolicy& policy) {
  std::string text(kRestartModes[static_cast<size_t>(policy.mode)]);
  if (policy.mode == RestartMode::on_failure && policy.max_retries) text += ":" + std::to_string(*policy.max_retries);
  return text;
}

Result<int> parse_signal_name(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    const auto number = parse_decimal(text);
    if (number && *number >= 1 && *number < 32) return static_cast<int>(*number);
    return Error("signal number out of range", EINVAL);
  }
  std::string name(text);
  for (char& c : name) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  if (name.starts_with("SIG")) name = name.substr(3);
  for (int signal = 1; signal < 32; ++signal) {
    const char* abbreviation = ::sigabbrev_np(signal);
    if (abbreviation && name == abbreviation) return signal;
  }
  return Error("unknown signal", EINVAL);
}

std::string signal_name(int signal) {
  const char* abbreviation = ::sigabbrev_np(signal);
  return abbreviation ? std::string(abbreviation) : std::to_string(signal);
}

bool valid_space_name(std::string_view name) { return space::is_valid_space_name(name.data(), name.size()); }

}  // namespace tproc::compose
