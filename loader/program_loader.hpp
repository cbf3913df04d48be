#pragma once
// Loading a program into the space: the pipeline the kernel's execve would run, minus the new mm.
//
//   map the executable → map its interpreter (PT_INTERP) → map a stack → write argv, envp, auxv
//
// Relocation, TLS and IFUNC stay the interpreter's job (DESIGN.md): we hand it a program that
// looks exactly as if the kernel had loaded it. Static-PIE programs relocate themselves.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "loader/host_auxv.hpp"
#include "loader/initial_stack.hpp"
#include "loader/interpreter_stock.hpp"
#include "loader/mapped_object.hpp"

namespace tproc::loader {

/// Everything needed to load one program.
struct ProgramSpec {
  const UniqueFd* executable = nullptr;  ///< the open executable file
  std::string execfn;                    ///< its path as the user named it (AT_EXECFN)
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  uint64_t registry_address = 0;         ///< published to the program as TPROC_AT_REGISTRY
  uint64_t socket_path_address = 0;      ///< a NUL-terminated string in the space: TPROC_AT_SOCKET
  size_t stack_size = 8 << 20;
  RangeHolder holder;                    ///< explains a taken fixed range (non-PIE programs)
  InterpreterStock* interpreters = nullptr;  ///< where to take the interpreter from; null: map it here
  /// The directory the program will see as "/" (tproc run --rootfs), or -1: its PT_INTERP is then
  /// opened inside it, never from the stock of the daemon's own root.
  int root_directory = -1;
};

/// A program mapped into the space and ready to enter. Owns every mapping the loader made.
struct LoadedProgram {
  MappedObject executable;
  std::optional<MappedObject> interpreter;
  ProgramStack stack;
  uint64_t entry = 0;          ///< where execution starts (the interpreter's entry, if any)
  uint64_t stack_pointer = 0;  ///< the address of argc
};

/// Maps `spec`'s program, its interpreter and its stack. Nothing is left mapped on failure.
Result<LoadedProgram> load_program(const ProgramSpec& spec, const HostAuxv& host);

}  // namespace tproc::loader
