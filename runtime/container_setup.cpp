#include "runtime/container_setup.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <set>

namespace tproc::runtime {
namespace {

uint64_t raw(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }
uint64_t number(int value) { return static_cast<uint64_t>(value); }

/// The file systems a container may mount (podman's defaults use each); anything else (a block
/// device's, overlay, ...) is not a container's to ask.
const std::set<std::string> kFileSystems = {"proc", "tmpfs", "sysfs", "devpts", "mqueue"};

/// The host devices bound into a /dev tmpfs, as runc creates them.
constexpr const char* kDefaultDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

/// `path` without empty, "." and ".." components (".." stops at the root, as filepath.Clean
/// does), relative: "/dev//pts/." is "dev/pts". Empty for the root itself.
std::string clean(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(begin, end - begin);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    begin = end + 1;
  }
  std::string joined;
  for (const std::string& part : parts) joined += (joined.empty() ? "" : "/") + part;
  return joined;
}

/// Builds the steps of one container's mounts: every path is resolved from the root's descriptor,
/// and each descriptor opened is the scratch slot, closed before the next is opened.
class MountSteps {
 public:
  MountSteps(LaunchScript& script, int root_slot, int scratch_slot)
      : script_(script), root_(root_slot), scratch_(scratch_slot) {
    const open_how in_root{O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT};
    const open_how directory_in_root{O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT};
    in_root_ = script.keep(&in_root, sizeof in_root);
    directory_in_root_ = script.keep(&directory_in_root, sizeof directory_in_root);
    scratch_path_ = text("/proc/self/fd/" + std::to_string(scratch_slot));
  }

  const char* text(const std::string& value) { return static_cast<const char*>(script_.keep(value.c_str(), value.size() + 1)); }

  /// Opens `relative` (inside the root) at the scratch slot; `directory`: only a directory.
  void open(const std::string& relative, bool directory, const std::string& what, int accepted = 0) {
    script_.add(what, SYS_openat2,
                {number(root_), raw(text(relative)), raw(directory ? directory_in_root_ : in_root_), sizeof(open_how), 0, 0},
                accepted);
  }
  void close(const std::string& what, int accepted = 0) {
    script_.add(what, SYS_close, {number(scratch_), 0, 0, 0, 0, 0}, accepted);
  }

  /// Creates each missing component of `relative` (a directory, the last one a file if `file`),
  /// one at a time inside its parent's descriptor: an existing component, symlink or not, is left
  /// as it is, and the next open resolves it inside the root.
  void create(const std::string& relative, bool file, const std::string& what) {
    std::string parent;
    for (size_t begin = 0; begin < relative.size();) {
      const size_t slash = relative.find('/', begin);
      const size_t end = slash == std::string::npos ? relative.size() : slash;
      const std::string name = relative.substr(begin, end - begin);
      const std::string path = relative.substr(0, end);
      int directory = root_;
      if (!parent.empty()) {
        open(parent, true, what + ": open /" + parent);
        directory = scratch_;
      }
      if (end == relative.size() && file)
        script_.add(what + ": create /" + path, SYS_mknodat, {number(directory), raw(text(name)), S_IFREG | 0644, 0, 0, 0},
                    EEXIST);
      else
        script_.add(what + ": mkdir /" + path, SYS_mkdirat, {number(directory), raw(text(name)), 0755, 0, 0, 0}, EEXIST);
      if (!parent.empty()) close(what + ": close /" + parent);
      parent = path;
      begin = end + 1;
    }
  }

  /// mount(2) onto what the scratch slot holds.
  void mount(const std::string& what, const char* source, const char* type, uint64_t flags, const char* data) {
    script_.add(what, SYS_mount, {raw(source), raw(scratch_path_), raw(type), flags, raw(data), 0});
  }

  /// Sets and clears mount attributes of the mount the scratch slot holds (its root).
  void set_attributes(const std::string& what, uint64_t set, uint64_t clear) {
    const mount_attr attributes{set, clear, 0, 0};
    script_.add(what, SYS_mount_setattr,
                {number(scratch_), raw(text("")), AT_EMPTY_PATH, raw(script_.keep(&attributes, sizeof attributes)),
                 sizeof attributes, 0});
  }

  int scratch() const { return scratch_; }

 private:
  LaunchScript& script_;
  int root_;
  int scratch_;
  const void* in_root_ = nullptr;
  const void* directory_in_root_ = nullptr;
  const char* scratch_path_ = nullptr;
};

}  // namespace

Result<ContainerSetup> ContainerSetup::open(const ContainerSpec& spec) {
  ContainerSetup setup;
  for (const MountSpec& given : spec.mounts) {
    const std::string where = "mounts " + given.destination;
    if (given.destination.empty() || given.destination[0] != '/')
      return Error::explained(where + ": the destination is not an absolute path", EINVAL);
    Mount mount;
    mount.destination = clean(given.destination);
    if (mount.destination.empty()) return Error::explained(where + ": a mount over the root filesystem itself", EINVAL);
    mount.options = TPROC_TRY_CTX(where, MountOptions::parse(given.options));
    if (given.type == "bind") mount.options.bind = true;
    if (mount.options.bind) {
      if (given.source.empty() || given.source[0] != '/')
        return Error::explained(where + ": the source '" + given.source + "' of a bind is not an absolute path", EINVAL);
      struct stat st {};
      if (::stat(given.source.c_str(), &st) < 0) return Error::from_errno(where + ": source " + given.source);
      mount.file = !S_ISDIR(st.st_mode);
      mount.source = given.source;
    } else {
      if (!kFileSystems.count(given.type))
        return Error::explained(where + ": type '" + given.type + "' is not supported by tproc-oci (proc, tmpfs, sysfs, "
                                "devpts, mqueue, bind)", ENOTSUP);
      mount.type = given.type;
      mount.source = given.source.empty() ? given.type : given.source;
    }
    setup.mounts_.push_back(std::move(mount));
  }
  if (spec.ipc == "new") {
    setup.new_ipc_ = true;
  } else if (spec.ipc.rfind("ns:", 0) == 0) {
    const std::string path = spec.ipc.substr(3);
    setup.joined_ipc_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!setup.joined_ipc_) return Error::from_errno("ipc namespace " + path);
    // Any open file could be passed to setns; only an IPC namespace's means what was asked.
    if (::ioctl(setup.joined_ipc_.get(), NS_GET_NSTYPE) != CLONE_NEWIPC)
      return Error::explained("ipc namespace " + path + ": not an IPC namespace", EINVAL);
  } else if (!spec.ipc.empty()) {
    return Error::explained("ipc '" + spec.ipc + "': not an IPC mode (new, ns:PATH)", EINVAL);
  }
  return setup;
}

uint64_t ContainerSetup::clone_flags() const { return new_ipc_ ? CLONE_NEWIPC : 0; }

void ContainerSetup::add_joins(LaunchScript& script) const {
  if (joined_ipc_)
    script.add("join the IPC namespace", SYS_setns, {number(joined_ipc_.get()), CLONE_NEWIPC, 0, 0, 0, 0});
}

void ContainerSetup::add_mounts(LaunchScript& script, const std::string& root, int root_slot, int scratch_slot) const {
  const char* root_path = static_cast<const char*>(script.keep(root.c_str(), root.size() + 1));
  // The root as the child's namespace has it now (its bind onto itself), not the daemon's: the
  // walks below must cross the mounts the child makes.
  script.add("open the root filesystem " + root, SYS_openat,
             {static_cast<uint64_t>(AT_FDCWD), raw(root_path), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0});
  MountSteps steps(script, root_slot, scratch_slot);
  bool dev_tmpfs = false;
  for (const Mount& mount : mounts_) {
    const std::string what = "mount /" + mount.destination;
    steps.create(mount.destination, mount.file, what);
    steps.open(mount.destination, false, what + ": open it");
    const MountOptions& options = mount.options;
    if (options.bind)
      steps.mount(what + " (bind " + mount.source + ")", steps.text(mount.source), nullptr,
                  MS_BIND | (options.recursive ? MS_REC : 0), nullptr);
    else
      steps.mount(what + " (" + mount.type + ")", steps.text(mount.source), steps.text(mount.type), options.flags,
                  options.data.empty() ? nullptr : steps.text(options.data));
    steps.close(what + ": close it");
    const bool attributes = options.bind && (options.attr_set != 0 || options.attr_clear != 0);
    if (attributes || options.propagation != 0) {
      // Opened again: now the new mount's root, which is what both calls change.
      steps.open(mount.destination, false, what + ": open the new mount");
      if (attributes) steps.set_attributes(what + ": set its options", options.attr_set, options.attr_clear);
      if (options.propagation != 0) steps.mount(what + ": set its propagation", nullptr, nullptr, options.propagation, nullptr);
      steps.close(what + ": close the new mount");
    }
    if (mount.destination == "dev" && mount.type == "tmpfs") dev_tmpfs = true;
  }
  if (dev_tmpfs) {
    // What runc gives a /dev of its own: the host's harmless devices bound in, the standard
    // symlinks, and ptmx through the container's devpts.
    for (const char* device : kDefaultDevices) {
      const std::string name = std::string("dev/") + device;
      const std::string what = "create /" + name;
      steps.create(name, true, what);
      steps.open(name, false, what + ": open it");
      steps.mount(what + ": bind the host's", steps.text("/" + name), nullptr, MS_BIND, nullptr);
      steps.close(what + ": close it");
    }
    steps.open("dev", true, "open /dev");
    const std::pair<const char*, const char*> links[] = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}};
    for (const auto& [name, target] : links)
      script.add(std::string("symlink /dev/") + name, SYS_symlinkat, {raw(steps.text(target)), number(scratch_slot), raw(steps.text(name)), 0, 0, 0},
                 EEXIST);
    steps.close("close /dev");
  }
  script.add("close the root filesystem", SYS_close, {number(root_slot), 0, 0, 0, 0, 0});
}

}  // namespace tproc::runtime
