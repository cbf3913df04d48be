#include "runtime/mount_options.hpp"

#include <sys/mount.h>

#include <map>

namespace tproc::runtime {
namespace {

/// A flag word: what it sets and clears in mount(2) flags, and the same as mount attributes.
struct Flag {
  uint64_t set = 0, clear = 0;
  uint64_t attr_set = 0, attr_clear = 0;
};

const std::map<std::string, Flag>& flag_words() {
  static const std::map<std::string, Flag> kWords = {
      {"defaults", {}},
      {"ro", {MS_RDONLY, 0, MOUNT_ATTR_RDONLY, 0}},
      {"rw", {0, MS_RDONLY, 0, MOUNT_ATTR_RDONLY}},
      {"nosuid", {MS_NOSUID, 0, MOUNT_ATTR_NOSUID, 0}},
      {"suid", {0, MS_NOSUID, 0, MOUNT_ATTR_NOSUID}},
      {"nodev", {MS_NODEV, 0, MOUNT_ATTR_NODEV, 0}},
      {"dev", {0, MS_NODEV, 0, MOUNT_ATTR_NODEV}},
      {"noexec", {MS_NOEXEC, 0, MOUNT_ATTR_NOEXEC, 0}},
      {"exec", {0, MS_NOEXEC, 0, MOUNT_ATTR_NOEXEC}},
      {"nosymfollow", {MS_NOSYMFOLLOW, 0, MOUNT_ATTR_NOSYMFOLLOW, 0}},
      {"symfollow", {0, MS_NOSYMFOLLOW, 0, MOUNT_ATTR_NOSYMFOLLOW}},
      // The atime words replace each other: as attributes, each clears the whole atime field.
      {"relatime", {MS_RELATIME, MS_NOATIME | MS_STRICTATIME, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME}},
      {"norelatime", {0, MS_RELATIME, 0, 0}},
      {"strictatime", {MS_STRICTATIME, MS_NOATIME | MS_RELATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME}},
      {"nostrictatime", {0, MS_STRICTATIME, 0, 0}},
      {"noatime", {MS_NOATIME, MS_RELATIME | MS_STRICTATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME}},
      {"atime", {0, MS_NOATIME, 0, 0}},
      {"nodiratime", {MS_NODIRATIME, 0, MOUNT_ATTR_NODIRATIME, 0}},
      {"diratime", {0, MS_NODIRATIME, 0, MOUNT_ATTR_NODIRATIME}},
      // These are the file system's, not the mount's: a bind keeps its source's.
      {"sync", {MS_SYNCHRONOUS, 0, 0, 0}},
      {"async", {0, MS_SYNCHRONOUS, 0, 0}},
      {"dirsync", {MS_DIRSYNC, 0, 0, 0}},
      {"lazytime", {MS_LAZYTIME, 0, 0, 0}},
      {"nolazytime", {0, MS_LAZYTIME, 0, 0}},
      {"iversion", {MS_I_VERSION, 0, 0, 0}},
      {"noiversion", {0, MS_I_VERSION, 0, 0}},
      {"silent", {MS_SILENT, 0, 0, 0}},
      {"loud", {0, MS_SILENT, 0, 0}},
      {"mand", {MS_MANDLOCK, 0, 0, 0}},
      {"nomand", {0, MS_MANDLOCK, 0, 0}},
  };
  return kWords;
}

const std::map<std::string, uint64_t>& propagation_words() {
  static const std::map<std::string, uint64_t> kWords = {
      {"private", MS_PRIVATE},           {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE},
      {"rslave", MS_SLAVE | MS_REC},     {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
      {"unbindable", MS_UNBINDABLE},     {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  return kWords;
}

Error refused(const std::string& option, const std::string& why) {
  return Error::explained("option '" + option + "': " + why, ENOTSUP);
}

}  // namespace

Result<MountOptions> MountOptions::parse(const std::vector<std::string>& options) {
  MountOptions parsed;
  for (const std::string& option : options) {
    if (option.empty() || option.find_first_of(",\n") != std::string::npos)
      return Error::explained("option '" + option + "': not one mount option", EINVAL);
    if (option == "bind" || option == "rbind") {
      parsed.bind = true;
      parsed.recursive = parsed.recursive || option == "rbind";
    } else if (auto flag = flag_words().find(option); flag != flag_words().end()) {
      parsed.flags = (parsed.flags & ~flag->second.clear) | flag->second.set;
      parsed.attr_set = (parsed.attr_set & ~flag->second.attr_clear) | flag->second.attr_set;
      parsed.attr_clear = (parsed.attr_clear & ~flag->second.attr_set) | flag->second.attr_clear;
    } else if (auto propagation = propagation_words().find(option); propagation != propagation_words().end()) {
      parsed.propagation = propagation->second;
    } else if (option == "remount") {
      return refused(option, "a container's mounts are new ones");
    } else if (option == "idmap" || option == "ridmap" || option.rfind("idmap=", 0) == 0) {
      return refused(option, "id-mapped mounts are not supported by tproc-oci yet");
    } else if (option == "tmpcopyup" || option == "copy-symlink" ||
               (option.front() == 'r' && flag_words().count(option.substr(1)))) {
      // runc's recursive attributes (rro, rnosuid, ...) and crun's extensions.
      return refused(option, "not supported by tproc-oci yet");
    } else {
      // The file system's own (mode=755, size=65536k, newinstance, ptmxmode=0666, gid=5): the
      // kernel checks them, as runc leaves it to.
      if (!parsed.data.empty()) parsed.data += ',';
      parsed.data += option;
    }
  }
  return parsed;
}

}  // namespace tproc::runtime
