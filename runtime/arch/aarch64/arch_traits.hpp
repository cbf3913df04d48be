#pragma once
// Facts about aarch64 that the architecture-neutral code needs.

#include <elf.h>
#include <linux/audit.h>

#include <cstdint>

namespace tproc::arch {

/// The ELF e_machine of programs this host runs.
inline constexpr uint16_t kElfMachine = EM_AARCH64;
/// The name users know the architecture by.
inline constexpr const char* kName = "aarch64";
/// Whether a program without PT_GNU_STACK expects an executable stack.
inline constexpr bool kStackExecutableByDefault = false;

/// The seccomp_data.arch value of this architecture's native system calls.
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;

/// The flags ldconfig gives this architecture's libraries in /etc/ld.so.cache
/// (FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64): ld.so skips entries with
/// other flags, which are for another ABI.
inline constexpr int32_t kLdSoCacheFlags = 0x0a03;
/// The multiarch triple naming the default library directories (/lib/<it>, /usr/lib/<it>).
inline constexpr const char* kMultiarch = "aarch64-linux-gnu";

}  // namespace tproc::arch
