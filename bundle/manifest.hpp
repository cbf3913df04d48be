#pragma once
// Manifest: the parsed `tproc.yaml` of one app, and its canonical JSON form.
//
// Invariant: a Manifest that exists passed every check below; consumers never re-validate. Every
// parse error is one line, `FILE:LINE:COL: field.path: what is wrong`, with errno EINVAL, so the
// CLI can print it as is. The JSON form is itself a valid manifest (JSON is YAML) decoded by the
// same code, with every default written out and a fixed key order: the same manifest always gives
// the same bytes, which is what makes a bundle's config blob reproducible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tproc::bundle {

namespace detail {
class ManifestDecoder;
}

/// Where the loader may find the libraries an app needs.
enum class LibraryPolicy {
  bundled,  ///< only in the bundle (the default): the bundle runs where its libraries are absent
  host,     ///< in the bundle first, then the host's directories
};

/// An interpreter whose home tproc build collects (bundle/runtime_recipe.hpp).
enum class Runtime {
  none,     ///< only what the entrypoint's closure and files: bring (the default)
  python3,  ///< `runtime: python3`: the interpreter's standard library, and PYTHONHOME at run time
};

/// When a declared endpoint turns from `declared` to `ready` in the registry.
enum class Readiness {
  app,       ///< when the app calls tproc_ready() (the default); `ready: app`
  at_start,  ///< as soon as the tproc starts; `ready: auto`
};

/// How the app's malloc coexists with the one program break the space shares.
enum class MallocPolicy {
  brk_guard,       ///< the daemon guards the break; malloc falls back to mmap'd heaps (the default)
  mmap_threshold,  ///< the runtime also sets MALLOC_MMAP_THRESHOLD_ to `mmap_threshold`
};

/// An ordered list of NAME → value pairs, kept in file order.
using NamedValues = std::vector<std::pair<std::string, std::string>>;

/// A name the app offers to other tprocs through the space's registry.
struct Endpoint {
  std::string name;    ///< 1-63 bytes of [A-Za-z0-9._/-], unique within the manifest
  std::string symbol;  ///< exported symbol whose address the runtime publishes; empty: none
  std::string kind;    ///< type tag a consumer may check ("channel", "function-table"); empty: none
  Readiness ready = Readiness::app;

  bool operator==(const Endpoint&) const = default;
};

/// Resource limits applied before the program's entry; an unset limit is inherited.
struct Limits {
  std::optional<uint64_t> open_files;     ///< RLIMIT_NOFILE
  std::optional<uint64_t> processes;      ///< RLIMIT_NPROC
  std::optional<uint64_t> address_space;  ///< RLIMIT_AS, in bytes
  std::optional<uint64_t> stack;          ///< RLIMIT_STACK, in bytes
  bool core_dumps = false;                ///< cores on whatever `ulimit -c` says: a core holds the whole space

  bool operator==(const Limits&) const = default;
};

/// The malloc/brk policy and the MALLOC_* tunables passed to the app's environment.
struct MallocSettings {
  MallocPolicy policy = MallocPolicy::brk_guard;
  uint64_t mmap_threshold = 0;  ///< bytes; meaningful only under MallocPolicy::mmap_threshold
  NamedValues tunables;         ///< MALLOC_* environment names → values, in file order

  bool operator==(const MallocSettings&) const = default;
};

/// What one bundled app is: its program, arguments, environment, endpoints and limits.
class Manifest {
 public:
  /// Parses and validates `text` (YAML or JSON); `file_name` prefixes every error message.
  static Result<Manifest> parse(std::string_view text, std::string_view file_name);

  /// Reads and parses the manifest at `path`; errors name the path as given.
  static Result<Manifest> load(const std::string& path);

  /// Parses the output of to_json() back (errors are prefixed "manifest.json").
  static Result<Manifest> from_json(std::string_view json);

  /// The canonical JSON form: fixed key order, defaults explicit, no whitespace, deterministic.
  std::string to_json() const;

  /// [a-z0-9][a-z0-9._-]{0,63}
  const std::string& name() const { return name_; }
  /// Free text; "0.0.0" when the manifest has none.
  const std::string& version() const { return version_; }
  /// The executable: a path on the build machine or inside the bundle.
  const std::string& entrypoint() const { return entrypoint_; }
  /// Default arguments, placed before those given on the command line.
  const std::vector<std::string>& args() const { return args_; }
  /// Environment added to the client's, in file order.
  const NamedValues& env() const { return env_; }
  /// An absolute directory to start in; empty: the client's cwd.
  const std::string& workdir() const { return workdir_; }
  /// Where libraries are resolved.
  LibraryPolicy libraries() const { return libraries_; }
  /// The interpreter recipe the manifest asks for.
  Runtime runtime() const { return runtime_; }
  /// Extra files and globs to put in the bundle, as written.
  const std::vector<std::string>& files() const { return files_; }
  /// Patterns of paths that files: must not take, as written.
  const std::vector<std::string>& excludes() const { return excludes_; }
  /// Endpoints the runtime publishes for the app, in file order.
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  /// Resource limits.
  const Limits& limits() const { return limits_; }
  /// The malloc/brk policy and tunables.
  const MallocSettings& malloc_settings() const { return malloc_; }

  bool operator==(const Manifest&) const = default;

 private:
  friend class detail::ManifestDecoder;
  Manifest() = default;

  std::string name_;
  std::string version_ = "0.0.0";
  std::string entrypoint_;
  std::vector<std::string> args_;
  NamedValues env_;
  std::string workdir_;
  LibraryPolicy libraries_ = LibraryPolicy::bundled;
  Runtime runtime_ = Runtime::none;
  std::vector<std::string> files_;
  std::vector<std::string> excludes_;
  std::vector<Endpoint> endpoints_;
  Limits limits_;
  MallocSettings malloc_;
};

/// Parses a byte count: digits with an optional binary suffix K, M, G or T (either case):
/// "512" → 512, "64K" → 65536, "2G" → 2147483648. Refuses anything else and overflow (EINVAL).
Result<uint64_t> parse_size(std::string_view text);

/// The manifest spelling of a policy: "bundled" or "host".
std::string_view to_string(LibraryPolicy policy);
/// The manifest spelling of a runtime: "python3" ("none" when there is none).
std::string_view to_string(Runtime runtime);
/// The manifest spelling of a readiness: "app" or "auto".
std::string_view to_string(Readiness readiness);
/// The manifest spelling of a malloc policy: "brk-guard" or "mmap-threshold".
std::string_view to_string(MallocPolicy policy);

}  // namespace tproc::bundle
