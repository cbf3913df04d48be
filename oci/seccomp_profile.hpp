#pragma once
// SeccompProfile: config.json's linux.seccomp compiled into the classic BPF program a container's
// tproc installs on itself, after tproc's own mapping filter (runtime/container_filter.hpp).
//
// libseccomp compiles it, as runc and crun have it do: it knows every architecture's syscall
// numbers, the multiplexed calls (socketcall, ipc) and the argument comparisons on 64-bit values
// in 32-bit BPF, which a hand-written compiler would have to get right again. Compiled in the
// client (tproc-oci), never in the daemon or the child. As runc does, a syscall name libseccomp
// does not know is skipped (a profile lists calls of newer kernels and other architectures), and
// a rule whose action is the default one is dropped.

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/result.hpp"

namespace tproc::oci {

/// A compiled linux.seccomp.
struct SeccompProfile {
  std::string program;  ///< struct sock_filter[] as bytes
  uint32_t flags = 0;   ///< SECCOMP_FILTER_FLAG_* for seccomp(2)

  /// Compiles `profile` (the linux.seccomp object); an error names the field and the reason.
  static Result<SeccompProfile> compile(const nlohmann::json& profile);
};

}  // namespace tproc::oci
