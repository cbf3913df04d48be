#include "runtime/cgroup_join.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

namespace tproc::runtime {

Result<std::vector<UniqueFd>> open_cgroup_procs(const std::vector<std::string>& directories) {
  if (directories.size() > kMaxCgroupJoins)
    return Error("malformed request: " + std::to_string(directories.size()) + " cgroups to join, at most " +
                     std::to_string(kMaxCgroupJoins),
                 EPROTO);
  std::vector<UniqueFd> procs;
  for (const std::string& directory : directories) {
    if (directory.empty() || directory[0] != '/' || directory.find("/../") != std::string::npos)
      return Error::explained("cgroup '" + directory + "': not an absolute path", EINVAL);
    const std::string path = directory + "/cgroup.procs";
    UniqueFd file(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) return Error::from_errno("cgroup " + directory + ": open cgroup.procs");
    struct statfs where {};
    if (::fstatfs(file.get(), &where) < 0) return Error::from_errno("cgroup " + directory);
    if (where.f_type != CGROUP_SUPER_MAGIC && where.f_type != CGROUP2_SUPER_MAGIC)
      return Error::explained("cgroup " + directory + ": not a cgroup (not on a cgroup file system)", EINVAL);
    procs.push_back(std::move(file));
  }
  return procs;
}

void add_cgroup_joins(LaunchScript& script, const std::vector<std::string>& directories, const std::vector<UniqueFd>& procs) {
  static const char kItself = '0';  // "0" written to cgroup.procs moves the writer
  for (size_t i = 0; i < procs.size(); ++i)
    script.add("join the cgroup " + directories[i], SYS_write,
               {static_cast<uint64_t>(procs[i].get()), reinterpret_cast<uint64_t>(&kItself), 1, 0, 0, 0});
}

}  // namespace tproc::runtime
