#pragma once
// cpu_relax(): tells the core a spin-wait loop is running (x86_64: PAUSE), so a spinning reader
// leaves the sibling hyperthread its resources and leaves the loop without a memory-order stall.

namespace tproc::registry {

/// One spin-wait hint.
inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace tproc::registry
