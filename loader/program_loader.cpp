#include "loader/program_loader.hpp"

#include <elf.h>

#include <algorithm>

#include "common/regular_file.hpp"
#include "tproc/auxv.h"

namespace tproc::loader {
namespace {

/// The auxv types we set per program; every other entry is copied from the daemon's own auxv.
bool is_per_program(uint64_t type) {
  switch (type) {
    case AT_PHDR: case AT_PHENT: case AT_PHNUM: case AT_BASE: case AT_ENTRY: case AT_FLAGS:
    case AT_EXECFN: case AT_RANDOM: case AT_SECURE: case AT_PLATFORM: case AT_BASE_PLATFORM:
    case AT_EXECFD: case AT_NULL: case TPROC_AT_REGISTRY: case TPROC_AT_SOCKET:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<LoadedProgram> load_program(const ProgramSpec& spec, const HostAuxv& host) {
  MappedObject executable = TPROC_TRY(MappedObject::map(*spec.executable, spec.holder));
  std::optional<MappedObject> interpreter;
  if (executable.interpreter() && spec.root_directory >= 0) {
    const std::string path(*executable.interpreter());
    const UniqueFd file = TPROC_TRY_CTX("interpreter " + path + " in the root filesystem",
                                        open_regular_file_in_root(spec.root_directory, path));
    interpreter = TPROC_TRY_CTX("interpreter " + path, MappedObject::map(file));
    if (interpreter->interpreter()) return Error("interpreter " + path + " itself needs an interpreter", ELIBBAD);
  } else if (executable.interpreter()) {
    InterpreterStock unstocked;
    InterpreterStock& stock = spec.interpreters ? *spec.interpreters : unstocked;
    interpreter = TPROC_TRY(stock.take(*executable.interpreter()));
  }

  ProgramStack stack = TPROC_TRY(ProgramStack::create(spec.stack_size, executable.executable_stack()));

  StackContents contents;
  contents.argv = spec.argv;
  contents.envp = spec.envp;
  contents.execfn = spec.execfn;
  contents.platform = host.platform();
  contents.base_platform = host.base_platform();
  for (const auto& entry : host.entries())
    if (!is_per_program(entry.first)) contents.auxv.push_back(entry);
  contents.auxv.insert(contents.auxv.end(), {
      {AT_PHDR, executable.phdr()},
      {AT_PHENT, sizeof(Elf64_Phdr)},
      {AT_PHNUM, executable.phnum()},
      {AT_BASE, interpreter ? interpreter->bias() : 0},
      {AT_FLAGS, 0},
      {AT_ENTRY, executable.entry()},
      {AT_SECURE, 0},
      {TPROC_AT_REGISTRY, spec.registry_address},
      {TPROC_AT_SOCKET, spec.socket_path_address},
  });
  const uint64_t stack_pointer = TPROC_TRY(stack.write(contents));
  const uint64_t entry = interpreter ? interpreter->entry() : executable.entry();
  return LoadedProgram{std::move(executable), std::move(interpreter), std::move(stack), entry, stack_pointer};
}

}  // namespace tproc::loader
