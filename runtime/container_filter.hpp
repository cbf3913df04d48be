#pragma once
// The container filter: a container's own seccomp profile (tproc-oci's linux.seccomp), stacked
// on tproc's mapping filter (runtime/mapping_filter.hpp).
//
// The client compiles the profile into classic BPF (with libseccomp: oci/seccomp_profile.hpp);
// the daemon only checks the program's shape and has the child install it as its very last launch
// step, after the mapping filter and every other step, so the profile never sees the launch's own
// calls. The kernel runs every filter of a task and keeps the strictest verdict (KILL > TRAP >
// ERRNO > USER_NOTIF > TRACE > LOG > ALLOW): a profile's ALLOW of mmap leaves the mapping filter's
// USER_NOTIF in force, and a profile's ERRNO on a call wins over it. A profile cannot use
// SECCOMP_RET_USER_NOTIF itself: the kernel allows one listener per task's filters, tproc's.

#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// The filter flags a container's profile may ask for: TSYNC, LOG and SPEC_ALLOW.
uint32_t allowed_container_filter_flags();

/// Checks `program` (the bytes of a struct sock_filter[], 1 to BPF_MAXINSNS instructions) and
/// `flags`, and appends the steps that install it; EPROTO when either is malformed. The kernel
/// checks the instructions themselves when the step runs. `no_new_privs`: set it first (needed
/// without CAP_SYS_ADMIN).
Result<void> add_container_filter(LaunchScript& script, const std::string& program, uint32_t flags, bool no_new_privs);

}  // namespace tproc::runtime
