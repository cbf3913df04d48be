#pragma once
// The sections of an ELF object: its section header table and a section's bytes, bounds-checked
// like ElfFile itself, for the symbol lookups; and the sections that occupy memory (SHF_ALLOC), by
// name and link-time address: what a debugger needs to place an object's symbols where a loader
// put it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// The section header table of `elf`, entry 0 included; empty when the object has none. Errors:
/// "invalid e_shentsize 12", "section header table at 0x... runs past the end of the file".
Result<std::vector<Elf64_Shdr>> section_headers(const ElfFile& elf);

/// The bytes `section` holds in the file `bytes`; `what` names it in the error: "string table at
/// 0x... runs past the end of the file".
Result<std::span<const std::byte>> section_contents(std::span<const std::byte> bytes, const Elf64_Shdr& section,
                                                    std::string_view what);

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
