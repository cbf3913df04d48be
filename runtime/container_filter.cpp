#include "runtime/container_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

namespace tproc::runtime {

uint32_t allowed_container_filter_flags() {
  return SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW;
}

Result<void> add_container_filter(LaunchScript& script, const std::string& program, uint32_t flags, bool no_new_privs) {
  const size_t count = program.size() / sizeof(sock_filter);
  if (program.size() % sizeof(sock_filter) != 0 || count == 0 || count > BPF_MAXINSNS)
    return Error("malformed request: a seccomp filter of " + std::to_string(program.size()) + " bytes is not 1 to " +
                     std::to_string(BPF_MAXINSNS) + " BPF instructions",
                 EPROTO);
  // NEW_LISTENER above all: the mapping filter holds the task's one listener.
  if (flags & ~allowed_container_filter_flags())
    return Error("malformed request: seccomp filter flags " + std::to_string(flags) + " (only TSYNC, LOG, SPEC_ALLOW)", EPROTO);
  auto* instructions = static_cast<sock_filter*>(script.keep(program.data(), program.size()));
  const sock_fprog header{static_cast<unsigned short>(count), instructions};
  const auto* fprog = static_cast<const sock_fprog*>(script.keep(&header, sizeof(header)));
  if (no_new_privs) script.add("set no_new_privs", SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0});
  script.add("install the container's seccomp filter", SYS_seccomp,
             {SECCOMP_SET_MODE_FILTER, flags, reinterpret_cast<uint64_t>(fprog), 0, 0, 0});
  return ok();
}

}  // namespace tproc::runtime
