#include "runtime/isolation.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

namespace tproc::runtime {
namespace {

uint64_t raw(const char* text) { return reinterpret_cast<uint64_t>(text); }

}  // namespace

Result<Isolation> Isolation::open(const std::string& rootfs, const std::string& hostname, const std::string& network,
                                  bool private_pids, const ContainerSpec* container) {
  Isolation isolation;
  if (!rootfs.empty()) {
    if (rootfs[0] != '/') return Error::explained("rootfs " + rootfs + ": not an absolute path", EINVAL);
    isolation.root_.reset(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!isolation.root_) return Error::from_errno("rootfs " + rootfs);
    isolation.rootfs_ = rootfs;
  }
  if (hostname.size() > 64) return Error::explained("hostname '" + hostname + "': longer than 64 bytes", EINVAL);
  isolation.hostname_ = hostname;
  if (network == "none") {
    isolation.new_network_ = true;
  } else if (network.rfind("ns:", 0) == 0) {
    const std::string path = network.substr(3);
    isolation.joined_network_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!isolation.joined_network_) return Error::from_errno("--net ns:" + path);
    // Any open file could be passed to setns; only a network namespace's means what was asked.
    if (::ioctl(isolation.joined_network_.get(), NS_GET_NSTYPE) != CLONE_NEWNET)
      return Error::explained("--net ns:" + path + ": not a network namespace", EINVAL);
  } else if (!network.empty()) {
    return Error::explained("network '" + network + "': not a network mode (none, ns:PATH)", EINVAL);
  }
  isolation.private_pids_ = private_pids;
  if (container) {
    if (!isolation.root_) return Error::explained("a container's mounts need a root filesystem (--rootfs)", EINVAL);
    isolation.container_ = TPROC_TRY(ContainerSetup::open(*container));
  }
  return isolation;
}

uint64_t Isolation::clone_flags() const {
  uint64_t flags = 0;
  // A private PID namespace needs its own /proc, hence its own mounts.
  if (root_ || private_pids_) flags |= CLONE_NEWNS;
  if (!hostname_.empty()) flags |= CLONE_NEWUTS;
  if (new_network_) flags |= CLONE_NEWNET;
  if (private_pids_) flags |= CLONE_NEWPID;
  if (container_) flags |= container_->clone_flags();
  return flags;
}

void Isolation::add_joins(LaunchScript& script) const {
  if (joined_network_)
    script.add("join the network namespace", SYS_setns,
               {static_cast<uint64_t>(joined_network_.get()), CLONE_NEWNET, 0, 0, 0, 0});
  if (container_) container_->add_joins(script);
}

void Isolation::add_root_and_names(LaunchScript& script, std::pair<int, int> free_slots) const {
  if (root_ || private_pids_)
    // Nothing the tproc mounts may propagate back into the daemon's mount namespace.
    // EINVAL when / is not a mount point: the daemon runs in a plain chroot.
    script.add("make its mounts private (/ must be a mount point)", SYS_mount, {0, raw("/"), 0, MS_REC | MS_PRIVATE, 0, 0});
  if (root_) {
    // pivot_root, not chroot: the old root is detached, so no chdir("..") or second chroot climbs
    // back out of it. pivot_root needs the new root to be a mount point: bind it onto itself.
    const char* root = static_cast<const char*>(script.keep(rootfs_.c_str(), rootfs_.size() + 1));
    script.add("bind the root filesystem " + rootfs_, SYS_mount, {raw(root), raw(root), 0, MS_BIND | MS_REC, 0, 0});
    if (container_) container_->add_mounts(script, rootfs_, free_slots.first, free_slots.second);
    script.add("enter the root filesystem " + rootfs_, SYS_chdir, {raw(root), 0, 0, 0, 0, 0});
    script.add("pivot_root into " + rootfs_, SYS_pivot_root, {raw("."), raw("."), 0, 0, 0, 0});
    script.add("detach the old root", SYS_umount2, {raw("."), MNT_DETACH, 0, 0, 0, 0});
    script.add("chdir /", SYS_chdir, {raw("/"), 0, 0, 0, 0, 0});
  }
  if ((root_ || private_pids_) && !container_)
    // Its own /proc (as a container has), where ps sees its PID namespace; a root filesystem
    // without a /proc directory has none. A container has the mounts its config lists instead.
    script.add("mount /proc", SYS_mount, {raw("proc"), raw("/proc"), raw("proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0},
               ENOENT);
  if (!hostname_.empty()) {
    const char* name = static_cast<const char*>(script.keep(hostname_.c_str(), hostname_.size() + 1));
    script.add("set hostname " + hostname_, SYS_sethostname, {raw(name), hostname_.size(), 0, 0, 0, 0});
  }
}

}  // namespace tproc::runtime
