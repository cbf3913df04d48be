#include "bundle/manifest.hpp"


#include <algorithm>
#include <array>
#include <cerrno>
#include <unordered_map>

#include "yaml/document.hpp"
#include "yaml/field_reader.hpp"
#include "yaml/manifest_file.hpp"

namespace tproc::bundle {

namespace {

using yaml::Entry;
using yaml::Field;
using yaml::FieldReader;
using yaml::quoted;

// A manifest is a few hundred bytes; the cap keeps a hostile config blob from costing much.
constexpr size_t kMaxManifestBytes = size_t{1} << 20;
constexpr size_t kMaxAppNameLength = 64;
constexpr size_t kMaxEndpointNameLength = 63;

// The keys each level accepts, in the order to_json() writes them.
constexpr std::array<std::string_view, 13> kTopKeys = {
    "name",  "version", "entrypoint", "args",      "env",    "workdir", "libraries",
    "runtime", "files", "exclude",    "endpoints", "limits", "malloc"};
constexpr std::array<std::string_view, 4> kEndpointKeys = {"name", "symbol", "kind", "ready"};
constexpr std::array<std::string_view, 5> kLimitKeys = {"open_files", "processes", "address_space",
                                                        "stack", "core_dumps"};
constexpr std::array<std::string_view, 3> kMallocKeys = {"policy", "mmap_threshold", "tunables"};
constexpr std::array<std::string_view, 2> kLibraryPolicies = {"bundled", "host"};
constexpr std::array<std::string_view, 1> kRuntimes = {"python3"};
constexpr std::array<std::string_view, 2> kReadinesses = {"app", "auto"};
constexpr std::array<std::string_view, 2> kMallocPolicies = {"brk-guard", "mmap-threshold"};

bool valid_app_name(std::string_view name) {
  auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  auto tail = [&](char c) { return head(c) || c == '.' || c == '_' || c == '-'; };
  return !name.empty() && name.size() <= kMaxAppNameLength && head(name[0]) &&
         std::all_of(name.begin() + 1, name.end(), tail);
}

bool valid_endpoint_name(std::string_view name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == '-';
  };
  return !name.empty() && name.size() <= kMaxEndpointNameLength &&
         std::all_of(name.begin(), name.end(), allowed);
}

// Symbols may carry versions or C++ mangling ("f@@V1", "_ZN2kv4mainEv"): refuse only what no
// symbol table holds.
bool valid_symbol(std::string_view symbol) {
  return !symbol.empty() &&
         std::all_of(symbol.begin(), symbol.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool has_control_bytes(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Names of environment variables and tunables are keys in the canonical JSON, which is read back
// as YAML, where an implicit key may not exceed 1024 characters.
constexpr size_t kMaxVariableNameLength = 255;

bool valid_env_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxVariableNameLength && name.find('=') == std::string_view::npos &&
         std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool valid_tunable_name(std::string_view name) {
  constexpr std::string_view kPrefix = "MALLOC_";
  return name.size() > kPrefix.size() && name.size() <= kMaxVariableNameLength && name.starts_with(kPrefix) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        // DEL is legal in JSON but not printable YAML, and from_json reads this as YAML.
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out += ':';
}

void append_json_strings(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

void append_json_named_values(std::string& out, const NamedValues& values) {
  out += '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_json_key(out, values[i].first);
    append_json_string(out, values[i].second);
  }
  out += '}';
}

}  // namespace

namespace detail {

/// Turns a YAML document into a Manifest, one field at a time, naming the first thing wrong.
class ManifestDecoder {
 public:
  explicit ManifestDecoder(std::string_view file_name) : reader_(file_name) {}

  /// The manifest `text` describes, or its first error.
  Result<Manifest> decode(std::string_view text) const {
    if (text.size() > kMaxManifestBytes) {
      return reader_.fail(YAML::Mark(), "", "manifest is larger than 1 MiB");
    }
    const YAML::Node document = TPROC_TRY(yaml::load_document(text, reader_));
    if (document.IsNull()) {
      return reader_.fail(YAML::Mark(), "", "empty manifest (expected a map with at least name and entrypoint)");
    }
    return reader_.guarded([&] { return decode_manifest(FieldReader::root(document)); });
  }

 private:
  // A NAME → value map, in file order; `valid_name` checks each name, `name_rule` says why not.
  Result<NamedValues> named_values_of(const Field& map, bool (*valid_name)(std::string_view),
                                      std::string_view name_rule) const {
    NamedValues values;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(map, {}))) {
      if (!valid_name(entry.key)) {
        return reader_.fail(entry.key_mark, entry.value.path, "invalid name: " + std::string(name_rule));
      }
      if (entry.value.node.IsNull()) {
        return reader_.fail(entry.value, "expected a string, got null (write \"\" for an empty value)");
      }
      values.emplace_back(entry.key, TPROC_TRY(reader_.string_of(entry.value)));
    }
    return values;
  }

  Result<uint64_t> size_of(const Field& field) const {
    if (!field.node.IsScalar()) return reader_.type_error(field, "a size such as 512M or 2G");
    Result<uint64_t> size = parse_size(field.node.Scalar());
    if (!size) return reader_.fail(field, size.error().message());
    return *size;
  }

  Result<std::string> app_name_of(const Field& field) const {
    std::string name = TPROC_TRY(reader_.string_of(field));
    if (!valid_app_name(name)) {
      return reader_.fail(
          field,
          "invalid name " + quoted(name) +
              ": expected 1-64 characters from a-z 0-9 . _ -, starting with a letter or digit");
    }
    return name;
  }

  Result<std::string> workdir_of(const Field& field) const {
    std::string workdir = TPROC_TRY(reader_.string_of(field));
    if (!workdir.empty() && workdir[0] != '/') {
      return reader_.fail(field, "expected an absolute path, got " + quoted(workdir));
    }
    return workdir;
  }

  Result<Endpoint> endpoint_of(const Field& item) const {
    Endpoint endpoint;
    bool has_name = false;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(item, kEndpointKeys))) {
      const Field& field = entry.value;
      if (entry.key == "name") {
        endpoint.name = TPROC_TRY(reader_.string_of(field));
        if (endpoint.name.size() > kMaxEndpointNameLength) {
          return reader_.fail(field, "endpoint name is " + std::to_string(endpoint.name.size()) +
                                         " bytes long (at most 63)");
        }
        if (!valid_endpoint_name(endpoint.name)) {
          return reader_.fail(field, "invalid endpoint name " + quoted(endpoint.name) +
                                         ": expected 1-63 characters from A-Z a-z 0-9 . _ / -");
        }
        has_name = true;
      } else if (field.node.IsNull()) {
        continue;  // an optional field left empty keeps its default
      } else if (entry.key == "symbol") {
        endpoint.symbol = TPROC_TRY(reader_.string_of(field));
        if (!valid_symbol(endpoint.symbol)) {
          return reader_.fail(field, "invalid symbol " + quoted(endpoint.symbol) +
                                         ": expected a symbol name without spaces or control characters");
        }
      } else if (entry.key == "kind") {
        endpoint.kind = TPROC_TRY(reader_.nonempty_string_of(field));
        if (has_control_bytes(endpoint.kind)) return reader_.fail(field, "contains control characters");
      } else if (entry.key == "ready") {
        size_t index = TPROC_TRY(reader_.choice_of(field, kReadinesses));
        endpoint.ready = index == 0 ? Readiness::app : Readiness::at_start;
      }
    }
    if (!has_name) return reader_.fail(item.mark, yaml::join_path(item.path, "name"), "missing required field");
    return endpoint;
  }

  Result<std::vector<Endpoint>> endpoints_of(const Field& list) const {
    if (!list.node.IsSequence()) return reader_.type_error(list, "a list of endpoints");
    std::vector<Endpoint> endpoints;
    std::unordered_map<std::string, size_t> first_index;
    size_t index = 0;
    for (const YAML::Node& node : list.node) {
      const Field item = FieldReader::element(list, node, index);
      Endpoint endpoint = TPROC_TRY(endpoint_of(item));
      auto [previous, inserted] = first_index.emplace(endpoint.name, index);
      if (!inserted) {
        // Point at the second name itself: that is the line the user has to change.
        YAML::Mark name_mark = item.mark;
        for (const auto& pair : node) {
          if (pair.first.IsScalar() && pair.first.Scalar() == "name") {
            name_mark = FieldReader::mark_or(pair.second, name_mark);
          }
        }
        return reader_.fail(name_mark, yaml::join_path(item.path, "name"),
                            "duplicate endpoint name " + quoted(endpoint.name) + " (also " + list.path +
                                "[" + std::to_string(previous->second) + "])");
      }
      endpoints.push_back(std::move(endpoint));
      ++index;
    }
    return endpoints;
  }

  Result<Limits> limits_of(const Field& map) const {
    Limits limits;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(map, kLimitKeys))) {
      const Field& field = entry.value;
      if (field.node.IsNull()) continue;  // unset: inherited
      if (entry.key == "open_files") {
        limits.open_files = TPROC_TRY(reader_.integer_of(field));
      } else if (entry.key == "processes") {
        limits.processes = TPROC_TRY(reader_.integer_of(field));
      } else if (entry.key == "address_space") {
        limits.address_space = TPROC_TRY(size_of(field));
      } else if (entry.key == "stack") {
        limits.stack = TPROC_TRY(size_of(field));
      } else if (entry.key == "core_dumps") {
        limits.core_dumps = TPROC_TRY(reader_.bool_of(field));
      }
    }
    return limits;
  }

  Result<MallocSettings> malloc_of(const Field& map) const {
    MallocSettings settings;
    std::optional<Entry> threshold;
    std::optional<Field> tunables;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(map, kMallocKeys))) {
      const Field& field = entry.value;
      if (field.node.IsNull()) continue;
      if (entry.key == "policy") {
        size_t index = TPROC_TRY(reader_.choice_of(field, kMallocPolicies));
        settings.policy = index == 0 ? MallocPolicy::brk_guard : MallocPolicy::mmap_threshold;
      } else if (entry.key == "mmap_threshold") {
        settings.mmap_threshold = TPROC_TRY(size_of(field));
        threshold = entry;
      } else if (entry.key == "tunables") {
        settings.tunables = TPROC_TRY(named_values_of(
            field, valid_tunable_name, "expected a MALLOC_* environment variable name"));
        tunables = field;
      }
    }
    // Both checks wait for the whole map: `policy` may come after the fields it governs.
    if (threshold && settings.policy != MallocPolicy::mmap_threshold) {
      return reader_.fail(threshold->key_mark, threshold->value.path,
                          "only allowed with policy 'mmap-threshold'");
    }
    if (tunables && settings.policy == MallocPolicy::mmap_threshold) {
      for (const Entry& tunable : TPROC_TRY(reader_.entries_of(*tunables, {}))) {
        if (tunable.key == "MALLOC_MMAP_THRESHOLD_") {
          return reader_.fail(tunable.key_mark, tunable.value.path,
                              "conflicts with policy 'mmap-threshold' (set malloc.mmap_threshold instead)");
        }
      }
    }
    return settings;
  }

  Result<Manifest> decode_manifest(const Field& top) const {
    if (!top.node.IsMap()) {
      return reader_.fail(top,
                          "expected a map of manifest fields at the top level, got " + yaml::describe(top.node));
    }
    Manifest manifest;
    bool has_name = false;
    bool has_entrypoint = false;
    for (const Entry& entry : TPROC_TRY(reader_.entries_of(top, kTopKeys))) {
      const Field& field = entry.value;
      if (entry.key == "name") {
        manifest.name_ = TPROC_TRY(app_name_of(field));
        has_name = true;
      } else if (entry.key == "entrypoint") {
        manifest.entrypoint_ = TPROC_TRY(reader_.nonempty_string_of(field));
        has_entrypoint = true;
      } else if (field.node.IsNull()) {
        continue;  // an optional field left empty keeps its default
      } else if (entry.key == "version") {
        manifest.version_ = TPROC_TRY(reader_.nonempty_string_of(field));
      } else if (entry.key == "args") {
        manifest.args_ = TPROC_TRY(reader_.strings_of(field, yaml::EmptyStrings::allowed));
      } else if (entry.key == "env") {
        manifest.env_ = TPROC_TRY(
            named_values_of(field, valid_env_name, "expected a name of 1-255 bytes without '=' or control characters"));
      } else if (entry.key == "workdir") {
        manifest.workdir_ = TPROC_TRY(workdir_of(field));
      } else if (entry.key == "libraries") {
        size_t index = TPROC_TRY(reader_.choice_of(field, kLibraryPolicies));
        manifest.libraries_ = index == 0 ? LibraryPolicy::bundled : LibraryPolicy::host;
      } else if (entry.key == "runtime") {
        TPROC_TRY(reader_.choice_of(field, kRuntimes));
        manifest.runtime_ = Runtime::python3;
      } else if (entry.key == "files") {
        manifest.files_ = TPROC_TRY(reader_.strings_of(field, yaml::EmptyStrings::refused));
      } else if (entry.key == "exclude") {
        manifest.excludes_ = TPROC_TRY(reader_.strings_of(field, yaml::EmptyStrings::refused));
      } else if (entry.key == "endpoints") {
        manifest.endpoints_ = TPROC_TRY(endpoints_of(field));
      } else if (entry.key == "limits") {
        manifest.limits_ = TPROC_TRY(limits_of(field));
      } else if (entry.key == "malloc") {
        manifest.malloc_ = TPROC_TRY(malloc_of(field));
      }
    }
    if (!has_name) return reader_.fail(top.mark, "name", "missing required field");
    if (!has_entrypoint) return reader_.fail(top.mark, "entrypoint", "missing required field");
    return manifest;
  }

  FieldReader reader_;
};

}  // namespace detail

Result<Manifest> Manifest::parse(std::string_view text, std::string_view file_name) {
  return detail::ManifestDecoder(file_name).decode(text);
}

Result<Manifest> Manifest::load(const std::string& path) {
  return parse(TPROC_TRY(yaml::read_manifest_file(path, kMaxManifestBytes, "manifest")), path);
}

Result<Manifest> Manifest::from_json(std::string_view json) { return parse(json, "manifest.json"); }

std::string Manifest::to_json() const {
  std::string out = "{";
  append_json_key(out, "name");
  append_json_string(out, name_);
  out += ',';
  append_json_key(out, "version");
  append_json_string(out, version_);
  out += ',';
  append_json_key(out, "entrypoint");
  append_json_string(out, entrypoint_);
  out += ',';
  append_json_key(out, "args");
  append_json_strings(out, args_);
  out += ',';
  append_json_key(out, "env");
  append_json_named_values(out, env_);
  out += ',';
  append_json_key(out, "workdir");
  append_json_string(out, workdir_);
  out += ',';
  append_json_key(out, "libraries");
  append_json_string(out, to_string(libraries_));
  out += ',';
  // Written only when set, as exclude: below.
  if (runtime_ != Runtime::none) {
    append_json_key(out, "runtime");
    append_json_string(out, to_string(runtime_));
    out += ',';
  }
  append_json_key(out, "files");
  append_json_strings(out, files_);
  out += ',';
  // Written only when set: bundles built without one keep their bytes (and digests).
  if (!excludes_.empty()) {
    append_json_key(out, "exclude");
    append_json_strings(out, excludes_);
    out += ',';
  }

  append_json_key(out, "endpoints");
  out += '[';
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const Endpoint& endpoint = endpoints_[i];
    if (i > 0) out += ',';
    out += '{';
    append_json_key(out, "name");
    append_json_string(out, endpoint.name);
    if (!endpoint.symbol.empty()) {
      out += ',';
      append_json_key(out, "symbol");
      append_json_string(out, endpoint.symbol);
    }
    if (!endpoint.kind.empty()) {
      out += ',';
      append_json_key(out, "kind");
      append_json_string(out, endpoint.kind);
    }
    out += ',';
    append_json_key(out, "ready");
    append_json_string(out, to_string(endpoint.ready));
    out += '}';
  }
  out += "],";

  // Unset limits are left out rather than written as null: "inherit" has no number.
  append_json_key(out, "limits");
  out += '{';
  auto append_limit = [&out](std::string_view key, const std::optional<uint64_t>& value) {
    if (!value) return;
    append_json_key(out, key);
    out += std::to_string(*value);
    out += ',';
  };
  append_limit("open_files", limits_.open_files);
  append_limit("processes", limits_.processes);
  append_limit("address_space", limits_.address_space);
  append_limit("stack", limits_.stack);
  append_json_key(out, "core_dumps");
  out += limits_.core_dumps ? "true" : "false";
  out += "},";

  append_json_key(out, "malloc");
  out += '{';
  append_json_key(out, "policy");
  append_json_string(out, to_string(malloc_.policy));
  out += ',';
  if (malloc_.policy == MallocPolicy::mmap_threshold) {
    append_json_key(out, "mmap_threshold");
    out += std::to_string(malloc_.mmap_threshold);
    out += ',';
  }
  append_json_key(out, "tunables");
  append_json_named_values(out, malloc_.tunables);
  out += "}}";
  return out;
}

Result<uint64_t> parse_size(std::string_view text) {
  auto refuse = [&text] {
    return Error::explained("expected a size such as 512M or 2G, got " + quoted(text), EINVAL);
  };
  if (text.empty()) return refuse();
  unsigned shift = 0;
  switch (text.back()) {
    case 'K':
    case 'k': shift = 10; break;
    case 'M':
    case 'm': shift = 20; break;
    case 'G':
    case 'g': shift = 30; break;
    case 'T':
    case 't': shift = 40; break;
    default: break;
  }
  std::optional<uint64_t> number =
      yaml::parse_decimal(shift == 0 ? text : text.substr(0, text.size() - 1));
  if (!number) {
    bool all_digits = std::all_of(text.begin(), text.end() - (shift == 0 ? 0 : 1),
                                  [](char c) { return c >= '0' && c <= '9'; });
    if (all_digits && text.size() > (shift == 0 ? 0u : 1u)) {
      return Error::explained("size " + quoted(text) + " is too large (at most 2^64-1 bytes)",
                              EINVAL);
    }
    return refuse();
  }
  if (shift > 0 && *number > (UINT64_MAX >> shift)) {
    return Error::explained("size " + quoted(text) + " is too large (at most 2^64-1 bytes)",
                            EINVAL);
  }
  return *number << shift;
}

std::string_view to_string(LibraryPolicy policy) {
  return kLibraryPolicies[policy == LibraryPolicy::bundled ? 0 : 1];
}

std::string_view to_string(Runtime runtime) { return runtime == Runtime::python3 ? kRuntimes[0] : "none"; }

std::string_view to_string(Readiness readiness) {
  return kReadinesses[readiness == Readiness::app ? 0 : 1];
}

std::string_view to_string(MallocPolicy policy) {
  return kMallocPolicies[policy == MallocPolicy::brk_guard ? 0 : 1];
}

}  // namespace tproc::bundle
