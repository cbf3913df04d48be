#include "runtime/credentials.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/unique_fd.hpp"

namespace tproc::runtime {
namespace {

uint64_t raw(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

/// Bits 0..last: the capabilities this kernel has (a set never names one beyond them).
uint64_t known(int last) { return last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1; }

}  // namespace

Result<int> last_capability() {
  UniqueFd file(::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC));
  if (!file) return Error::from_errno("open /proc/sys/kernel/cap_last_cap");
  char text[16]{};
  const ssize_t got = ::read(file.get(), text, sizeof(text) - 1);
  if (got <= 0) return Error::from_errno("read /proc/sys/kernel/cap_last_cap");
  char* end = nullptr;
  const long last = std::strtol(text, &end, 10);
  if (end == text || last < 0 || last > 63)
    return Error::explained("/proc/sys/kernel/cap_last_cap: not a capability number: " + std::string(text, got), EINVAL);
  return static_cast<int>(last);
}

Result<CapabilitySets> own_capabilities(int last) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) < 0) return Error::from_errno("capget");
  CapabilitySets sets;
  sets.effective = data[0].effective | uint64_t{data[1].effective} << 32;
  sets.permitted = data[0].permitted | uint64_t{data[1].permitted} << 32;
  sets.inheritable = data[0].inheritable | uint64_t{data[1].inheritable} << 32;
  for (int capability = 0; capability <= last; ++capability) {
    const int in_bounding = ::prctl(PR_CAPBSET_READ, capability, 0, 0, 0);
    if (in_bounding < 0) return Error::from_errno("read the capability bounding set");
    if (in_bounding) sets.bounding |= uint64_t{1} << capability;
    const int ambient = ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability, 0, 0);
    if (ambient > 0) sets.ambient |= uint64_t{1} << capability;
  }
  return sets;
}

void add_credentials(LaunchScript& script, const Credentials& credentials, const CapabilitySets& held, int last) {
  const CapabilitySets& wanted = credentials.capabilities;
  // Only what the daemon holds can be kept; capset would refuse more anyway.
  const uint64_t permitted = wanted.permitted & held.permitted & known(last);
  const uint64_t effective = wanted.effective & permitted;
  const uint64_t inheritable = wanted.inheritable & (held.inheritable | held.permitted) & known(last);
  for (int capability = 0; capability <= last; ++capability)
    if (!(wanted.bounding >> capability & 1))
      script.add("drop capability " + std::to_string(capability) + " from the bounding set", SYS_prctl,
                 {PR_CAPBSET_DROP, static_cast<uint64_t>(capability), 0, 0, 0, 0});
  script.add("clear the ambient capabilities", SYS_prctl, {PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0});
  if (credentials.no_new_privs) script.add("set no_new_privs", SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0});
  // A uid change away from 0 empties the permitted set unless keep-caps is on for it.
  const bool keeps = credentials.uid != 0 && permitted != 0;
  if (keeps) script.add("keep capabilities across the uid change", SYS_prctl, {PR_SET_KEEPCAPS, 1, 0, 0, 0, 0});
  const std::vector<uint32_t>& groups = credentials.groups;
  const void* group_list = groups.empty() ? script.keep("", 1) : script.keep(groups.data(), groups.size() * sizeof(uint32_t));
  const uint64_t uid = credentials.uid, gid = credentials.gid;
  script.add("setgroups (" + std::to_string(groups.size()) + " groups)", SYS_setgroups, {groups.size(), raw(group_list), 0, 0, 0, 0});
  script.add("setresgid " + std::to_string(gid), SYS_setresgid, {gid, gid, gid, 0, 0, 0});
  script.add("setresuid " + std::to_string(uid), SYS_setresuid, {uid, uid, uid, 0, 0, 0});
  const __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  const __user_cap_data_struct data[2] = {
      {static_cast<uint32_t>(effective), static_cast<uint32_t>(permitted), static_cast<uint32_t>(inheritable)},
      {static_cast<uint32_t>(effective >> 32), static_cast<uint32_t>(permitted >> 32), static_cast<uint32_t>(inheritable >> 32)}};
  script.add("set the capability sets", SYS_capset, {raw(script.keep(&header, sizeof(header))), raw(script.keep(data, sizeof(data))), 0, 0, 0, 0});
  if (keeps) script.add("stop keeping capabilities", SYS_prctl, {PR_SET_KEEPCAPS, 0, 0, 0, 0, 0});
  for (int capability = 0; capability <= last; ++capability)
    if (wanted.ambient >> capability & 1)
      script.add("raise ambient capability " + std::to_string(capability), SYS_prctl,
                 {PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<uint64_t>(capability), 0, 0, 0});
}

}  // namespace tproc::runtime
