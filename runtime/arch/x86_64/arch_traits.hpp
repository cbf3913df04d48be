#pragma once
// Facts about x86_64 that the architecture-neutral code needs.

#include <elf.h>
#include <linux/audit.h>

#include <cstdint>

namespace tproc::arch {

/// The ELF e_machine of programs this host runs.
inline constexpr uint16_t kElfMachine = EM_X86_64;
/// The name users know the architecture by.
inline constexpr const char* kName = "x86_64";
/// Whether a program without PT_GNU_STACK expects an executable stack.
inline constexpr bool kStackExecutableByDefault = true;

/// The seccomp_data.arch value of this architecture's native system calls.
inline constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;

/// The flags ldconfig gives this architecture's libraries in /etc/ld.so.cache
/// (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64): ld.so skips entries with
/// other flags, which are for another ABI.
inline constexpr int32_t kLdSoCacheFlags = 0x0303;
/// The multiarch triple naming the default library directories (/lib/<it>, /usr/lib/<it>).
inline constexpr const char* kMultiarch = "x86_64-linux-gnu";

}  // namespace tproc::arch
