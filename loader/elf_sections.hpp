#pragma once
// The sections of an ELF object that occupy memory (SHF_ALLOC), by name and link-time address:
// what a debugger needs to place an object's symbols where a loader put it. Read from the section
// header table and its name table, bounds-checked like ElfFile itself.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// One allocated section: its name (".text"), its unrelocated address and its size.
struct ElfSection {
  std::string name;
  uint64_t address = 0;
  uint64_t size = 0;
};

/// The SHF_ALLOC sections of `elf` with a name, in section-table order; none when the object has
/// no section header table (a stripped-to-the-bone file is still loadable). Errors name the bad
/// table: "section header table at 0x... runs past the end of the file", "invalid e_shentsize 12".
Result<std::vector<ElfSection>> allocated_sections(const ElfFile& elf);

}  // namespace tproc::loader
