#include "oci/bundle_config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/container_setup.hpp"
#include "space/container_spec.hpp"
#include "space/space_name.hpp"

namespace tproc::oci {
namespace {

using nlohmann::json;

Error refused(const std::string& path, const std::string& why) {
  return Error::explained("config.json " + path + ": " + why, ENOTSUP);
}
Error invalid(const std::string& path, const std::string& why) {
  return Error::explained("config.json " + path + ": " + why, EINVAL);
}

/// Keys of `object` outside `known` are refused by name: a field tproc-oci does not know is one
/// it would otherwise ignore.
Result<void> only_known(const json& object, const std::string& where, const std::set<std::string>& known,
                        const std::string& why) {
  for (const auto& [key, value] : object.items())
    if (!known.count(key) && !value.is_null()) return refused(where + key, why);
  return ok();
}

Result<std::vector<std::string>> strings(const json& value, const std::string& path) {
  if (!value.is_array()) return invalid(path, "not a list of strings");
  std::vector<std::string> out;
  for (const json& item : value) {
    if (!item.is_string()) return invalid(path, "not a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

int rlimit_number(const std::string& name) {
  static const std::map<std::string, int> kNames = {
      {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},     {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK}};
  auto found = kNames.find(name);
  return found == kNames.end() ? -1 : found->second;
}

Result<void> read_process(const json& process, BundleConfig& config) {
  if (!process.is_object()) return invalid("process", "not an object");
  TPROC_TRY(only_known(process, "process.", {"args", "env", "cwd", "user", "rlimits", "terminal", "consoleSize"},
                       "not supported by tproc-oci yet"));
  if (process.value("terminal", false))
    return refused("process.terminal", "a terminal (--console-socket) is not supported by tproc-oci yet");
  config.args = TPROC_TRY(strings(process.value("args", json::array()), "process.args"));
  if (config.args.empty()) return invalid("process.args", "empty: there is no program to run");
  if (process.contains("env")) config.env = TPROC_TRY(strings(process["env"], "process.env"));
  if (process.contains("cwd")) {
    if (!process["cwd"].is_string() || process["cwd"].get<std::string>().rfind('/', 0) != 0)
      return invalid("process.cwd", "not an absolute path");
    config.cwd = process["cwd"].get<std::string>();
  }
  if (process.contains("user")) {
    const json& user = process["user"];
    if (!user.is_object()) return invalid("process.user", "not an object");
    TPROC_TRY(only_known(user, "process.user.", {"uid", "gid", "umask", "additionalGids"}, "not supported by tproc-oci yet"));
    // The daemon starts every tproc as its own user: another one needs setuid steps not written yet.
    if (user.value("uid", 0) != 0 || user.value("gid", 0) != 0)
      return refused("process.user", "a user other than root (uid 0, gid 0) is not supported by tproc-oci yet");
    if (user.contains("umask")) {
      if (!user["umask"].is_number_unsigned() || user["umask"].get<unsigned>() > 0777)
        return invalid("process.user.umask", "not a file mode creation mask");
      config.umask = user["umask"].get<int>();
    }
    if (user.contains("additionalGids"))
      for (const json& gid : user["additionalGids"])
        if (!gid.is_number_unsigned() || gid.get<unsigned>() != 0)
          return refused("process.user.additionalGids", "supplementary groups are not supported by tproc-oci yet");
  }
  if (process.contains("rlimits")) {
    if (!process["rlimits"].is_array()) return invalid("process.rlimits", "not a list");
    for (const json& limit : process["rlimits"]) {
      const std::string type = limit.value("type", "");
      const int resource = rlimit_number(type);
      if (resource < 0) return invalid("process.rlimits", "unknown type '" + type + "'");
      if (!limit.contains("soft") || !limit.contains("hard") || !limit["soft"].is_number_unsigned() ||
          !limit["hard"].is_number_unsigned())
        return invalid("process.rlimits " + type, "soft and hard must be numbers");
      // Counted over the whole shared address space by the kernel: not a per-container limit.
      if (resource == RLIMIT_AS || resource == RLIMIT_DATA)
        return refused("process.rlimits " + type, "the kernel counts it over the whole shared address space");
      config.rlimits.push_back({resource, limit["soft"].get<rlim_t>(), limit["hard"].get<rlim_t>()});
    }
  }
  return ok();
}

Result<void> read_linux(const json& linux_config, BundleConfig& config, bool& mount_namespace, bool& uts_namespace) {
  if (!linux_config.is_object()) return invalid("linux", "not an object");
  TPROC_TRY(only_known(linux_config, "linux.", {"namespaces", "seccomp", "cgroupsPath", "resources"}, "not supported by tproc-oci yet"));
  if (linux_config.contains("seccomp") && !linux_config["seccomp"].is_null())
    config.seccomp = TPROC_TRY(SeccompProfile::compile(linux_config["seccomp"]));
  config.cgroups = TPROC_TRY(CgroupRequest::parse(linux_config));
  if (!linux_config.contains("namespaces")) return ok();
  for (const json& space : linux_config["namespaces"]) {
    const std::string type = space.value("type", "");
    const std::string path = space.value("path", "");
    const std::string where = "linux.namespaces " + type;
    if (type == "mount") {
      if (!path.empty()) return refused(where, "joining a mount namespace is not supported by tproc-oci yet");
      mount_namespace = true;
    } else if (type == "network") {
      config.network = path.empty() ? "none" : "ns:" + path;
    } else if (type == "pid") {
      if (!path.empty()) return refused(where, "joining a pid namespace is not supported by tproc-oci yet");
      config.private_pids = true;
    } else if (type == "uts") {
      if (!path.empty()) return refused(where, "joining a uts namespace is not supported by tproc-oci yet");
      uts_namespace = true;
    } else if (type == "ipc") {
      config.container.ipc = path.empty() ? "new" : "ns:" + path;
    } else if (type == "cgroup" || type == "user" || type == "time") {
      return refused(where, "not supported by tproc-oci yet");
    } else {
      return invalid(where, "unknown namespace type");
    }
  }
  return ok();
}

}  // namespace

Result<BundleConfig> BundleConfig::read(const std::string& bundle) {
  char resolved[PATH_MAX];
  if (!::realpath(bundle.c_str(), resolved)) return Error::from_errno("bundle " + bundle);
  std::ifstream file(std::string(resolved) + "/config.json");
  if (!file) return Error::from_errno("bundle " + bundle + ": config.json");
  std::stringstream text;
  text << file.rdbuf();
  return parse(resolved, text.str());
}

Result<BundleConfig> BundleConfig::parse(const std::string& bundle, const std::string& json_text) {
  const json document = json::parse(json_text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return invalid("", "not a JSON object");
  TPROC_TRY(only_known(document, "",
                       {"ociVersion", "process", "root", "hostname", "domainname", "mounts", "linux", "annotations"},
                       "not supported by tproc-oci yet"));
  BundleConfig config;
  config.bundle = bundle;
  // The spec makes process required when start is called, not at create: without one the
  // container is created and `start` refuses it.
  if (document.contains("process") && !document["process"].is_null()) TPROC_TRY(read_process(document["process"], config));

  const json root = document.value("root", json());
  if (!root.is_object() || !root.contains("path") || !root["path"].is_string())
    return invalid("root.path", "missing: tproc-oci runs every container in its own root filesystem");
  if (root.value("readonly", false)) return refused("root.readonly", "a read-only root is not supported by tproc-oci yet");
  std::string path = root["path"].get<std::string>();
  if (path.empty() || path[0] != '/') path = bundle + "/" + path;
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) return Error::from_errno("config.json root.path " + path);
  struct stat st {};
  if (::stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode)) return Error("config.json root.path " + path, ENOTDIR);
  config.rootfs = resolved;

  bool mount_namespace = false, uts_namespace = false;
  if (document.contains("linux")) TPROC_TRY(read_linux(document["linux"], config, mount_namespace, uts_namespace));
  if (!mount_namespace) return invalid("linux.namespaces", "a root filesystem needs a mount namespace");
  if (document.contains("hostname")) {
    if (!document["hostname"].is_string()) return invalid("hostname", "not a string");
    config.hostname = document["hostname"].get<std::string>();
    if (!config.hostname.empty() && !uts_namespace) return invalid("hostname", "set without a uts namespace");
  }
  if (uts_namespace && config.hostname.empty())
    return refused("linux.namespaces uts", "a uts namespace without a hostname is not supported by tproc-oci yet");
  if (document.value("domainname", "") != "") return refused("domainname", "not supported by tproc-oci yet");

  config.container.given = true;
  if (document.contains("mounts")) {
    if (!document["mounts"].is_array()) return invalid("mounts", "not a list");
    for (const json& mount : document["mounts"]) {
      if (!mount.is_object() || !mount.contains("destination") || !mount["destination"].is_string())
        return invalid("mounts", "an entry without a destination");
      protocol::ContainerMount entry;
      entry.destination = mount["destination"].get<std::string>();
      const std::string where = "mounts " + entry.destination;
      TPROC_TRY(only_known(mount, where + " ", {"destination", "type", "source", "options"}, "not supported by tproc-oci yet"));
      for (const char* field : {"type", "source"})
        if (mount.contains(field) && !mount[field].is_string()) return invalid(where + " " + field, "not a string");
      entry.type = mount.value("type", "");
      entry.source = mount.value("source", "");
      if (mount.contains("options")) entry.options = TPROC_TRY(strings(mount["options"], where + " options"));
      // The runtime spec: a bind's relative source is relative to the bundle.
      const bool bind = entry.type == "bind" || std::count(entry.options.begin(), entry.options.end(), "bind") ||
                        std::count(entry.options.begin(), entry.options.end(), "rbind");
      if (bind && !entry.source.empty() && entry.source[0] != '/') entry.source = bundle + "/" + entry.source;
      config.container.mounts.push_back(std::move(entry));
    }
  }

  if (document.contains("annotations")) {
    if (!document["annotations"].is_object()) return invalid("annotations", "not an object");
    for (const auto& [key, value] : document["annotations"].items())
      if (value.is_string()) config.annotations[key] = value.get<std::string>();
  }
  // As the daemon will check it: a bad mount fails create, naming it.
  if (auto checked = runtime::ContainerSetup::open(space::container_spec(config.container)); !checked)
    return Error::explained("config.json " + checked.error().describe(), checked.error().code());
  if (auto space = config.annotations.find("io.tproc.space"); space != config.annotations.end()) {
    if (!space::is_valid_space_name(space->second.c_str(), space->second.size()))
      return invalid("annotations io.tproc.space", "'" + space->second + "' is not a space name");
    config.space = space->second;
  }
  return config;
}

}  // namespace tproc::oci
