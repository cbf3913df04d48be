#pragma once
// The registers of a stopped thread as PTRACE_GETREGSET NT_PRSTATUS gives them, on x86_64.

#include <sys/user.h>

#include <cstdint>

namespace tproc::lib {

using ThreadRegisters = user_regs_struct;

inline uint64_t stack_pointer_of(const ThreadRegisters& regs) { return regs.rsp; }
inline uint64_t instruction_pointer_of(const ThreadRegisters& regs) { return regs.rip; }

}  // namespace tproc::lib
