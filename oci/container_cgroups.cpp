#include "oci/container_cgroups.hpp"

#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "space/cgroup_v1.hpp"

namespace tproc::oci {
namespace {

using nlohmann::json;

/// The hierarchies a container joins, as runc's cgroupfs driver does: those with a limit tproc-oci
/// writes, and cpuacct, memory and blkio for their accounting. Not freezer: `tproc pause` moves a
/// tproc into a freezer cgroup of the daemon's (space/freezer_cgroups.hpp).
constexpr const char* kControllers[] = {"pids", "cpu", "cpuacct", "cpuset", "memory", "devices", "blkio"};

/// runc's default device rules, appended after the config's as runc appends them: mknod of any
/// device, and the devices every container has (null, zero, full, random, urandom, tty, console,
/// ptmx and the pty slaves, tun).
constexpr const char* kDefaultDevices[] = {"c *:* m",    "b *:* m",    "c 1:3 rwm",   "c 1:8 rwm",   "c 1:7 rwm",
                                           "c 5:0 rwm",  "c 1:5 rwm",  "c 1:9 rwm",   "c 5:1 rwm",   "c 136:* rwm",
                                           "c 5:2 rwm",  "c 10:200 rwm"};

Error refused(const std::string& path, const std::string& why) {
  return Error::explained("config.json " + path + ": " + why, ENOTSUP);
}
Error invalid(const std::string& path, const std::string& why) {
  return Error::explained("config.json " + path + ": " + why, EINVAL);
}

/// Members of `object` that are set (not null), other than `honoured`, are refused by name.
Result<void> only(const json& object, const std::string& where, const std::set<std::string>& honoured, const std::string& why) {
  if (!object.is_object()) return invalid(where, "not an object");
  for (const auto& [key, value] : object.items())
    if (!honoured.count(key) && !value.is_null()) return refused(where + "." + key, why);
  return ok();
}

Result<void> read_pids(const json& pids, std::vector<CgroupWrite>& writes) {
  TPROC_TRY(only(pids, "linux.resources.pids", {"limit"}, "not supported by tproc-oci yet"));
  if (!pids.contains("limit") || pids["limit"].is_null()) return ok();
  if (!pids["limit"].is_number_integer()) return invalid("linux.resources.pids.limit", "not a number");
  const int64_t limit = pids["limit"].get<int64_t>();
  // As runc: 0 leaves it alone, a negative one is no limit.
  if (limit != 0) writes.push_back({"pids", "pids.max", limit > 0 ? std::to_string(limit) : "max"});
  return ok();
}

Result<void> read_cpu(const json& cpu, std::vector<CgroupWrite>& writes) {
  TPROC_TRY(only(cpu, "linux.resources.cpu", {"shares", "quota", "period", "cpus", "mems", "realtimeRuntime", "realtimePeriod"},
                 "not supported by tproc-oci yet (cgroup v1 has no such file)"));
  auto number = [&](const char* key, bool may_be_negative) -> Result<std::optional<int64_t>> {
    if (!cpu.contains(key) || cpu[key].is_null()) return std::optional<int64_t>();
    if (!(may_be_negative ? cpu[key].is_number_integer() : cpu[key].is_number_unsigned()))
      return invalid(std::string("linux.resources.cpu.") + key, may_be_negative ? "not a number" : "not an unsigned number");
    return std::optional<int64_t>(cpu[key].get<int64_t>());
  };
  for (const char* key : {"realtimeRuntime", "realtimePeriod"})
    if (auto value = TPROC_TRY(number(key, true)); value && *value != 0)
      return refused(std::string("linux.resources.cpu.") + key, "real-time cgroup scheduling is not supported by tproc-oci yet");
  if (auto shares = TPROC_TRY(number("shares", false)); shares && *shares != 0)
    writes.push_back({"cpu", "cpu.shares", std::to_string(*shares)});
  // The period first: the kernel checks a quota against the period in force.
  if (auto period = TPROC_TRY(number("period", false)); period && *period != 0)
    writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*period)});
  if (auto quota = TPROC_TRY(number("quota", true)); quota && *quota != 0)
    writes.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(*quota)});
  for (const char* key : {"cpus", "mems"}) {
    if (!cpu.contains(key) || cpu[key].is_null()) continue;
    if (!cpu[key].is_string()) return invalid(std::string("linux.resources.cpu.") + key, "not a list such as 0-3,5");
    if (!cpu[key].get<std::string>().empty()) writes.push_back({"cpuset", std::string("cpuset.") + key, cpu[key].get<std::string>()});
  }
  return ok();
}

Result<void> read_devices(const json& devices, std::vector<CgroupWrite>& writes) {
  if (!devices.is_array()) return invalid("linux.resources.devices", "not a list");
  for (size_t i = 0; i < devices.size(); ++i) {
    const json& rule = devices[i];
    const std::string where = "linux.resources.devices[" + std::to_string(i) + "]";
    TPROC_TRY(only(rule, where, {"allow", "type", "major", "minor", "access"}, "not a device rule field"));
    if (!rule.contains("allow") || !rule["allow"].is_boolean()) return invalid(where + ".allow", "not true or false");
    const std::string type = rule.value("type", "a");
    if (type != "a" && type != "c" && type != "b") return invalid(where + ".type", "not a, c or b");
    auto number = [&](const char* key) -> Result<std::string> {
      if (!rule.contains(key) || rule[key].is_null()) return std::string("*");
      if (!rule[key].is_number_integer()) return invalid(where + "." + key, "not a device number");
      const int64_t value = rule[key].get<int64_t>();
      if (value == -1) return std::string("*");
      if (value < 0 || value > 0xfffff) return invalid(where + "." + key, "not a device number");
      return std::to_string(value);
    };
    const std::string major = TPROC_TRY(number("major")), minor = TPROC_TRY(number("minor"));
    const std::string access = rule.value("access", "rwm");
    if (access.empty() || access.find_first_not_of("rwm") != std::string::npos) return invalid(where + ".access", "not made of r, w, m");
    writes.push_back({"devices", rule["allow"].get<bool>() ? "devices.allow" : "devices.deny",
                      type + " " + major + ":" + minor + " " + access});
  }
  for (const char* rule : kDefaultDevices) writes.push_back({"devices", "devices.allow", rule});
  return ok();
}

/// systemd's path of slice `slice` ("a-b.slice" is "/a.slice/a-b.slice"; "-.slice" is the root).
Result<std::string> expand_slice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      slice.find('/') != std::string::npos)
    return invalid("linux.cgroupsPath", "'" + slice + "' is not a systemd slice name (NAME.slice)");
  if (slice == "-.slice") return std::string();
  const std::string name = slice.substr(0, slice.size() - suffix.size());
  if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos)
    return invalid("linux.cgroupsPath", "'" + slice + "' is not a systemd slice name");
  std::string path;
  for (size_t dash = name.find('-');; dash = name.find('-', dash + 1)) {
    path += "/" + (dash == std::string::npos ? name : name.substr(0, dash)) + suffix;
    if (dash == std::string::npos) return path;
  }
}

bool is_cgroup2(const char* path) {
  struct statfs where {};
  return ::statfs(path, &where) == 0 && where.f_type == CGROUP2_SUPER_MAGIC;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::string text;
  std::getline(file, text);
  return text;
}

/// What make_cgroups made, removed again (deepest first) unless released.
class MadeDirectories {
 public:
  ~MadeDirectories() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
  }
  void add(std::string directory) { made_.push_back(std::move(directory)); }
  void release() { made_.clear(); }

 private:
  std::vector<std::string> made_;
};

}  // namespace

Result<CgroupRequest> CgroupRequest::parse(const json& linux_config) {
  CgroupRequest request;
  if (linux_config.contains("cgroupsPath") && !linux_config["cgroupsPath"].is_null()) {
    if (!linux_config["cgroupsPath"].is_string()) return invalid("linux.cgroupsPath", "not a string");
    request.path = linux_config["cgroupsPath"].get<std::string>();
    request.wanted = true;
  }
  if (!linux_config.contains("resources") || linux_config["resources"].is_null()) return request;
  const json& resources = linux_config["resources"];
  TPROC_TRY(only(resources, "linux.resources", {"pids", "cpu", "devices", "memory"}, "not supported by tproc-oci yet"));
  request.wanted = true;
  if (resources.contains("memory") && !resources["memory"].is_null())
    TPROC_TRY(only(resources["memory"], "linux.resources.memory", {},
                   "the kernel charges a container's memory to its space's daemon, which owns the one shared address "
                   "space, so a memory cgroup limit would not bind the container"));
  if (resources.contains("pids") && !resources["pids"].is_null()) TPROC_TRY(read_pids(resources["pids"], request.writes));
  if (resources.contains("cpu") && !resources["cpu"].is_null()) TPROC_TRY(read_cpu(resources["cpu"], request.writes));
  if (resources.contains("devices") && !resources["devices"].is_null()) TPROC_TRY(read_devices(resources["devices"], request.writes));
  return request;
}

Result<std::string> cgroup_inner_path(const CgroupRequest& request, const std::string& id, bool systemd,
                                      const std::string& own_cgroup) {
  if (!request.wanted) return std::string();
  std::string inner;
  if (systemd) {
    // slice:prefix:name, as runc's systemd driver takes it.
    const size_t first = request.path.find(':'), second = first == std::string::npos ? first : request.path.find(':', first + 1);
    if (second == std::string::npos || request.path.find(':', second + 1) != std::string::npos)
      return invalid("linux.cgroupsPath", "'" + request.path + "' is not slice:prefix:name (with --systemd-cgroup)");
    const std::string slice = request.path.substr(0, first), prefix = request.path.substr(first + 1, second - first - 1),
                      name = request.path.substr(second + 1);
    if (name.empty() || name.find('/') != std::string::npos || prefix.find('/') != std::string::npos)
      return invalid("linux.cgroupsPath", "'" + request.path + "' is not slice:prefix:name (with --systemd-cgroup)");
    inner = TPROC_TRY(expand_slice(slice.empty() ? "system.slice" : slice));
    const bool is_slice = name.size() > 6 && name.compare(name.size() - 6, 6, ".slice") == 0;
    // The unit: a scope, unless the name is a slice (then below the given one, as runc has it).
    inner += "/" + (is_slice ? name : (prefix.empty() ? name : prefix + "-" + name) + ".scope");
  } else {
    const std::string path = request.path.empty() ? id : request.path;
    inner = path[0] == '/' ? path : (own_cgroup == "/" ? "" : own_cgroup) + "/" + path;
  }
  // One directory of its own: never a hierarchy's root, never above it.
  for (size_t start = 1; start <= inner.size();) {
    const size_t slash = std::min(inner.find('/', start), inner.size());
    const std::string part = inner.substr(start, slash - start);
    if (part == "." || part == "..")
      return invalid("linux.cgroupsPath", "'" + request.path + "' has a '" + part + "' component");
    start = slash + 1;
  }
  while (inner.size() > 1 && inner.back() == '/') inner.pop_back();
  if (inner.empty() || inner == "/") return invalid("linux.cgroupsPath", "'" + request.path + "' is a cgroup hierarchy's root");
  return inner;
}

Result<std::vector<std::string>> make_cgroups(const CgroupRequest& request, const std::string& id, bool systemd) {
  if (!request.wanted) return std::vector<std::string>();
  const std::string field = request.path.empty() ? "linux.resources" : "linux.cgroupsPath";
  if (is_cgroup2("/sys/fs/cgroup"))
    return refused(field, "/sys/fs/cgroup is cgroup v2 only, which tproc-oci does not drive yet (it uses cgroup v1 hierarchies)");
  if (systemd && ::access("/run/systemd/system", F_OK) == 0)
    return refused(field, "systemd runs here, and tproc-oci does not ask it for a scope yet: use the cgroupfs manager");

  // Each mounted hierarchy once (cpu and cpuacct may share one), with the controllers it holds.
  std::map<std::string, std::set<std::string>> hierarchies;
  std::map<std::string, std::string> own;
  for (const char* controller : kControllers) {
    const std::string mount = space::cgroup_v1_mount(controller);
    if (mount.empty()) continue;
    hierarchies[mount].insert(controller);
    own[mount] = space::own_cgroup_v1(controller);
  }
  for (const CgroupWrite& write : request.writes) {
    bool found = false;
    for (const auto& [mount, controllers] : hierarchies) found |= controllers.count(write.controller) > 0;
    if (!found)
      return refused("linux.resources." + (write.controller == "cpuset" ? std::string("cpu") : write.controller),
                     "no cgroup v1 '" + write.controller + "' hierarchy is mounted here (see /proc/self/mounts)");
  }

  MadeDirectories made;
  std::vector<std::string> leaves;
  for (const auto& [mount, controllers] : hierarchies) {
    const std::string inner = TPROC_TRY(cgroup_inner_path(request, id, systemd, own[mount].empty() ? "/" : own[mount]));
    const std::string leaf = mount + inner;
    // The leaf is the container's alone: delete ends whatever runs in it.
    if (::access(leaf.c_str(), F_OK) == 0) return invalid(field, "the cgroup " + leaf + " exists already");
    for (size_t slash = inner.find('/', 1);; slash = inner.find('/', slash + 1)) {
      const std::string directory = mount + inner.substr(0, slash);
      if (::mkdir(directory.c_str(), 0755) == 0) {
        made.add(directory);
        // A new cpuset cgroup has no CPUs or memory nodes, and no task may join it: its parent's.
        if (controllers.count("cpuset")) {
          const std::string parent = directory.substr(0, directory.rfind('/'));
          for (const char* file : {"/cpuset.cpus", "/cpuset.mems"})
            TPROC_TRY_CTX(field, space::write_cgroup_file(directory + file, read_text(parent + file)));
        }
      } else if (errno != EEXIST) {
        return Error::from_errno(field + ": mkdir " + directory);
      }
      if (slash == std::string::npos) break;
    }
    for (const CgroupWrite& write : request.writes)
      if (controllers.count(write.controller))
        TPROC_TRY_CTX("config.json linux.resources " + write.file + " " + write.value,
                      space::write_cgroup_file(leaf + "/" + write.file, write.value));
    leaves.push_back(leaf);
  }
  made.release();
  return leaves;
}

Result<void> remove_cgroups(const std::vector<std::string>& directories) {
  for (const std::string& directory : directories) {
    // A cgroup below a hierarchy's root, never the root itself (whose parent is no cgroup): what
    // runs in it is killed below.
    struct statfs own {}, parent {};
    if (::statfs(directory.c_str(), &own) < 0) {
      if (errno == ENOENT) continue;
      return Error::from_errno("remove the cgroup " + directory);
    }
    if (::statfs((directory + "/..").c_str(), &parent) < 0 || own.f_type != CGROUP_SUPER_MAGIC ||
        parent.f_type != CGROUP_SUPER_MAGIC)
      return Error::explained("remove the cgroup " + directory + ": not a cgroup below a hierarchy's root", EINVAL);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::rmdir(directory.c_str()) < 0) {
      if (errno == ENOENT) break;
      if (errno != EBUSY || std::chrono::steady_clock::now() > deadline)
        return Error::from_errno("remove the cgroup " + directory);
      // Still in use: what the container started and left running goes with it, as in runc.
      std::ifstream procs(directory + "/cgroup.procs");
      for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return ok();
}

}  // namespace tproc::oci
