#include "space/pids_cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "space/cgroup_v1.hpp"

namespace tproc::space {

Result<PidsCgroups> PidsCgroups::create(const std::string& space) {
  const std::string mount = cgroup_v1_mount("pids");
  if (mount.empty())
    return Error::explained("no cgroup v1 'pids' hierarchy is mounted (see /proc/self/mounts), and a cgroup v2 one would "
                                "need a delegated subtree",
                            ENOTSUP);
  std::string own = own_cgroup_v1("pids");
  if (own == "/") own.clear();
  const std::string directory = mount + own + "/tproc-" + space + "-" + std::to_string(::getpid());
  if (::mkdir(directory.c_str(), 0700) < 0 && errno != EEXIST) return Error::from_errno("create the pids cgroup " + directory);
  struct stat made {};
  if (::lstat(directory.c_str(), &made) < 0 || !S_ISDIR(made.st_mode)) return Error::from_errno("pids cgroup " + directory);
  return PidsCgroups(directory);
}

PidsCgroups::PidsCgroups(PidsCgroups&& other) noexcept
    : directory_(std::move(other.directory_)), cgroups_(std::move(other.cgroups_)), leaving_(std::move(other.leaving_)) {
  other.directory_.clear();
}

PidsCgroups::~PidsCgroups() {
  if (directory_.empty()) return;
  for (uint64_t id : cgroups_) ::rmdir((directory_ + "/" + std::to_string(id)).c_str());
  ::rmdir(directory_.c_str());  // fails while a tproc's forked child still uses its cgroup
}

Result<UniqueFd> PidsCgroups::make(uint64_t id, uint64_t limit) {
  retry();
  const std::string cgroup = directory_ + "/" + std::to_string(id);
  if (leaving_.count(id)) {
    // A restarted tproc (same id) whose ended run's forked children still use its cgroup: the
    // new run takes the cgroup over, and they count against its limit, as in one container's.
    leaving_.erase(id);
  } else {
    if (::mkdir(cgroup.c_str(), 0700) < 0) return Error::from_errno("create the pids cgroup " + cgroup);
    cgroups_.insert(id);
  }
  if (auto limited = write_cgroup_file(cgroup + "/pids.max", std::to_string(limit)); !limited) {
    ::rmdir(cgroup.c_str());
    cgroups_.erase(id);
    return std::move(limited).error();
  }
  UniqueFd procs(::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!procs) {
    Error error = Error::from_errno("open " + cgroup + "/cgroup.procs");
    ::rmdir(cgroup.c_str());
    cgroups_.erase(id);
    return error;
  }
  return procs;
}

void PidsCgroups::remove(uint64_t id) {
  if (cgroups_.count(id)) leaving_.insert(id);
  retry();
}

bool PidsCgroups::retry() {
  for (auto it = leaving_.begin(); it != leaving_.end();) {
    if (::rmdir((directory_ + "/" + std::to_string(*it)).c_str()) == 0 || errno == ENOENT) {
      cgroups_.erase(*it);
      it = leaving_.erase(it);
    } else {
      ++it;  // EBUSY: a forked child of the tproc still runs in it
    }
  }
  return !leaving_.empty();
}

}  // namespace tproc::space
