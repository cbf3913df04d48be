#pragma once
// ComposeManifest: the parsed compose file (`app.yaml`) of an app made of several services.
//
// Invariant: a ComposeManifest that exists passed every check below, dependency graph included
// (no unknown service, no cycle): consumers never re-validate. Every parse error is one line,
// `FILE:LINE:COL: field.path: what is wrong`, with errno EINVAL, unknown keys and values with the
// nearest valid one suggested — the same shape as bundle/manifest.hpp's errors, since both are
// read by yaml/field_reader.hpp. Like a tproc.yaml, the file must be one YAML document of UTF-8
// text (yaml/document.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.hpp"
#include "common/result.hpp"

namespace tproc::compose {

/// Where something was written in the compose file (1-based).
struct SourceLocation {
  int line = 1;
  int column = 1;
  bool operator==(const SourceLocation&) const = default;
};

/// When a dependency counts as met.
enum class Condition {
  started,                 ///< its tprocs have been started
  ready,                   ///< the endpoints its bundle declares are ready in the registry
  completed_successfully,  ///< every replica exited 0
};

/// One `depends_on` entry.
struct Dependency {
  std::string service;
  Condition condition = Condition::started;
  /// How long to wait for the condition; unset: 60 s for `ready`, forever otherwise.
  std::optional<std::chrono::milliseconds> timeout;
  SourceLocation where;  ///< of the dependency's name
  std::string path;      ///< "services.client.depends_on.server"
  bool operator==(const Dependency&) const = default;
};

/// When a service's tproc is started again after it ends.
enum class RestartMode { no, always, on_failure, unless_stopped };

/// `restart: no | always | on-failure[:max] | unless-stopped`.
struct RestartPolicy {
  RestartMode mode = RestartMode::no;
  std::optional<uint32_t> max_retries;  ///< on-failure only; unset: no limit
  bool operator==(const RestartPolicy&) const = default;
};

/// One service: a bundle started as `replicas` tprocs.
struct Service {
  std::string name;
  std::string bundle;  ///< as written: a bundle file, a directory with tproc.yaml, or a manifest file
  std::optional<std::vector<std::string>> args;  ///< `command` or `args`: replace the bundle's default args
  std::vector<std::pair<std::string, std::string>> environment;  ///< in file order
  std::string working_dir;  ///< as written (relative: to the compose file's directory); empty: default
  std::vector<Dependency> depends_on;
  RestartPolicy restart;
  int stop_signal = 15;  ///< SIGTERM
  std::chrono::milliseconds stop_grace_period{10000};
  uint32_t replicas = 1;
  SourceLocation where;  ///< of the service's name
  bool operator==(const Service&) const = default;
};

/// A compose file: the app's name, its space and its services.
class ComposeManifest {
 public:
  /// Parses and validates `text`; `file_name` prefixes every error message; `default_name` is the
  /// app's name when the file has no `name` (the directory it lives in, like docker compose).
  static Result<ComposeManifest> parse(std::string_view text, std::string_view file_name, std::string_view default_name);

  /// Reads and parses the compose file at `path`; the default name is its directory's name.
  static Result<ComposeManifest> load(const std::string& path);

  const std::string& name() const { return name_; }
  /// The space the app runs in (default: its name).
  const std::string& space() const { return space_; }
  /// The services, in file order.
  const std::vector<Service>& services() const { return services_; }
  /// The service called `name`, or null.
  const Service* find(std::string_view name) const;

 private:
  ComposeManifest() = default;
  friend class ComposeDecoder;

  std::string name_;
  std::string space_;
  std::vector<Service> services_;
};

/// The spelling of a condition in a compose file ("ready").
std::string_view to_string(Condition condition);
/// The spelling of a restart policy ("on-failure:3").
std::string to_string(const RestartPolicy& policy);

using tproc::parse_duration;  ///< common/duration.hpp

/// Parses a signal by name ("TERM", "SIGTERM") or number ("15").
Result<int> parse_signal_name(std::string_view text);

/// "TERM" for 15; the number as text when the signal has no name.
std::string signal_name(int signal);

/// Whether `name` may name a space or an app: space/space_name.hpp's rule.
bool valid_space_name(std::string_view name);

}  // namespace tproc::compose
