#pragma once
// Spawning a tproc: clone3 into the daemon's own address space.

#include <cstdint>

#include "common/result.hpp"
#include "runtime/child.hpp"
#include "runtime/launch_script.hpp"

namespace tproc::runtime {

/// Where the new program starts: its entry point and its initial stack.
struct EntryState {
  uint64_t entry = 0;          ///< the first instruction (the interpreter's entry for dynamic programs)
  uint64_t stack_pointer = 0;  ///< the address of argc, 16-byte aligned
  uint64_t stack_base = 0;     ///< the lowest address of the stack mapping
};

/// Starts a process that shares this address space (CLONE_VM) but nothing else: its own fd
/// table, cwd, signal handlers (reset to default) and thread group. It runs `script` on itself,
/// then enters the program. `script` must stay alive until the child has exited. `namespaces`:
/// CLONE_NEW* flags for the namespaces it gets of its own (runtime/isolation.hpp).
Result<Child> spawn_in_space(LaunchScript& script, const EntryState& entry, uint64_t namespaces = 0);

}  // namespace tproc::runtime
