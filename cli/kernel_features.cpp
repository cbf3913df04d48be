#include "cli/kernel_features.hpp"

#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/unique_fd.hpp"

namespace tproc::cli {
namespace {

/// PIDFD_GET_INFO (Linux 6.15): _IOWR(0xFF, 11, struct pidfd_info), whose first version is 64 bytes.
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, char[64]);

std::string errno_name(int error) { return error == ENOSYS ? "ENOSYS" : std::strerror(error); }

KernelFeature clone3() {
  // A NULL clone_args fails before anything is cloned: EFAULT where clone3 exists.
  errno = 0;
  const long result = ::syscall(SYS_clone3, nullptr, 0);
  const int error = errno;
  if (result == 0) ::_exit(0);  // cannot happen with size 0; never return twice
  return {"clone3", error != ENOSYS, error == ENOSYS ? "ENOSYS" : "starts every tproc (CLONE_VM|CLONE_PIDFD)"};
}

KernelFeature pidfd(UniqueFd& own_pidfd) {
  own_pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
  return {"pidfd", own_pidfd.valid(), own_pidfd.valid() ? "waits for and signals tprocs" : errno_name(errno)};
}

KernelFeature seccomp_user_notification() {
  seccomp_notif_sizes sizes{};
  const bool present = ::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
  return {"seccomp user notification", present, present ? "the mapping filter (reclaim, /proc/self/exe)" : errno_name(errno)};
}

KernelFeature io_uring() {
  io_uring_params params{};
  UniqueFd ring(static_cast<int>(::syscall(SYS_io_uring_setup, 1, &params)));
  if (!ring.valid()) return {"io_uring", false, errno_name(errno) + " (check /proc/sys/kernel/io_uring_disabled)"};
  return {"io_uring", true, "the daemon's event loop"};
}

KernelFeature pidfd_exit_info(const UniqueFd& own_pidfd) {
  if (!own_pidfd.valid()) return {"PIDFD_GET_INFO", false, "no pidfd"};
  char info[64] = {};
  const bool present = ::ioctl(own_pidfd.get(), kPidfdGetInfo, info) == 0 || errno != ENOTTY;
  return {"PIDFD_GET_INFO", present, present ? "a pidfd tells exit statuses" : "Linux 6.15+"};
}

KernelFeature cgroup_v2() {
  std::ifstream controllers("/sys/fs/cgroup/cgroup.controllers");
  std::string list;
  if (!controllers || !std::getline(controllers, list)) return {"cgroup v2", false, "no /sys/fs/cgroup/cgroup.controllers"};
  return {"cgroup v2", true, "controllers: " + (list.empty() ? std::string("none") : list)};
}

KernelFeature user_namespaces() {
  std::ifstream limit("/proc/sys/user/max_user_namespaces");
  long most = 0;
  const bool present = static_cast<bool>(limit >> most) && most > 0;
  return {"user namespaces", present, present ? "max " + std::to_string(most) : "disabled (user.max_user_namespaces)"};
}

}  // namespace

std::vector<KernelFeature> probe_kernel_features() {
  UniqueFd own_pidfd;
  std::vector<KernelFeature> features;
  features.push_back(clone3());
  features.push_back(pidfd(own_pidfd));
  features.push_back(pidfd_exit_info(own_pidfd));
  features.push_back(seccomp_user_notification());
  features.push_back(io_uring());
  features.push_back(cgroup_v2());
  features.push_back(user_namespaces());
  return features;
}

}  // namespace tproc::cli
