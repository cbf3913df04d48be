#include "space/freezer_cgroups.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include "common/unique_fd.hpp"
#include "space/cgroup_v1.hpp"

namespace tproc::space {
namespace {

std::string read_word(const std::string& path) {
  std::ifstream file(path);
  std::string word;
  file >> word;
  return word;
}

/// `pid` and every process below it, from /proc/PID/task/TID/children (parents first).
std::vector<pid_t> with_descendants(pid_t pid) {
  std::vector<pid_t> all{pid};
  for (size_t next = 0; next < all.size(); ++next) {
    const std::string tasks = "/proc/" + std::to_string(all[next]) + "/task";
    DIR* directory = ::opendir(tasks.c_str());
    if (!directory) continue;
    while (const dirent* entry = ::readdir(directory)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream children(tasks + "/" + entry->d_name + "/children");
      for (pid_t child; children >> child;) all.push_back(child);
    }
    ::closedir(directory);
  }
  return all;
}

}  // namespace

Result<FreezerCgroups> FreezerCgroups::create(const std::string& space) {
  const std::string mount = cgroup_v1_mount("freezer");
  if (mount.empty())
    return Error::explained("no cgroup v1 'freezer' hierarchy is mounted (see /proc/self/mounts)", ENOTSUP);
  std::string own = own_cgroup_v1("freezer");
  if (own == "/") own.clear();
  const std::string directory = mount + own + "/tproc-" + space + "-" + std::to_string(::getpid());
  if (::mkdir(directory.c_str(), 0700) < 0 && errno != EEXIST) {
    // A daemon started by a user (not root) may not make cgroups unless someone delegated a subtree.
    if ((errno == EACCES || errno == EPERM) && ::geteuid() != 0)
      return Error::explained("the space's daemon runs as uid " + std::to_string(::geteuid()) +
                                  ", not root, so it may not make the freezer cgroup " + directory,
                              errno);
    return Error::from_errno("create the freezer cgroup " + directory);
  }
  struct stat made {};
  if (::lstat(directory.c_str(), &made) < 0 || !S_ISDIR(made.st_mode)) return Error::from_errno("freezer cgroup " + directory);
  return FreezerCgroups(directory);
}

FreezerCgroups::FreezerCgroups(FreezerCgroups&& other) noexcept
    : directory_(std::move(other.directory_)), cgroups_(std::move(other.cgroups_)), frozen_(std::move(other.frozen_)) {
  other.directory_.clear();
}

FreezerCgroups::~FreezerCgroups() {
  if (directory_.empty()) return;
  thaw_all();
  for (uint64_t id : cgroups_) ::rmdir(cgroup(id).c_str());
  ::rmdir(directory_.c_str());  // fails while a tproc's forked child still uses its cgroup
}

Result<void> FreezerCgroups::freeze(uint64_t id, pid_t pid) {
  const std::string path = cgroup(id);
  if (!cgroups_.count(id)) {
    if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) return Error::from_errno("create the freezer cgroup " + path);
    cgroups_.insert(id);
  }
  // cgroup.procs moves a whole thread group; threads and children made later inherit the cgroup.
  for (pid_t process : with_descendants(pid))
    if (auto moved = write_cgroup_file(path + "/cgroup.procs", std::to_string(process)); !moved && process == pid)
      return std::move(moved).error();
  TPROC_TRY(write_cgroup_file(path + "/freezer.state", "FROZEN"));
  frozen_.insert(id);
  // FREEZING until every task has reached the refrigerator: a task in an uninterruptible sleep
  // (a page fault on NFS, say) gets there when it wakes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (read_word(path + "/freezer.state") != "FROZEN") {
    if (std::chrono::steady_clock::now() > deadline) {
      (void)thaw(id);
      return Error::explained("tproc " + std::to_string(id) + " did not freeze within 2 s (a task in an uninterruptible sleep?)",
                              EBUSY);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return ok();
}

Result<void> FreezerCgroups::thaw(uint64_t id) {
  if (!frozen_.count(id)) return ok();
  TPROC_TRY(write_cgroup_file(cgroup(id) + "/freezer.state", "THAWED"));
  frozen_.erase(id);
  return ok();
}

void FreezerCgroups::remove(uint64_t id) {
  (void)thaw(id);
  frozen_.erase(id);
  // Its tasks leave the cgroup as they exit; an empty cgroup goes now, a busy one with the daemon.
  if (cgroups_.count(id) && ::rmdir(cgroup(id).c_str()) == 0) cgroups_.erase(id);
}

void FreezerCgroups::thaw_all() {
  for (uint64_t id : std::set<uint64_t>(frozen_)) (void)thaw(id);
}

}  // namespace tproc::space
