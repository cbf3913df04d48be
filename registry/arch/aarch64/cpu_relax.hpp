#pragma once
// cpu_relax(): tells the core a spin-wait loop is running (aarch64: YIELD).

namespace tproc::registry {

/// One spin-wait hint.
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

}  // namespace tproc::registry
