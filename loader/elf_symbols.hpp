#pragma once
// Symbols of an ELF object: the one it defines by a name (for endpoints a manifest publishes by
// symbol name), and the one at an address (for `tproc which`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// The link-time address (st_value) of the symbol `name` that `elf` defines, from its dynamic
/// symbol table (exported symbols), else its full symbol table if not stripped. nullopt when it
/// defines no such symbol; an error when the section or symbol tables are malformed.
Result<std::optional<uint64_t>> find_defined_symbol(const ElfFile& elf, std::string_view name);

/// A symbol around a link-time address.
struct SymbolAt {
  std::string name;
  uint64_t value = 0;        ///< its link-time address (st_value)
  uint64_t size = 0;
  bool from_symtab = false;  ///< from the full symbol table; false: the dynamic one (a stripped object)
  bool inside = false;       ///< the address is in [value, value + size); false: only the nearest below it
};

/// The symbol of `elf` at link-time address `address`: from .symtab when the object has one,
/// else from .dynsym (exported symbols only). A function or object whose extent holds the address
/// wins; else the nearest symbol below it in the same section (a static function of a stripped
/// library lies after the exported one it is reported as). Of symbols at one address, the
/// name with the fewest leading underscores (`puts`, not `_IO_puts`), global before local.
/// nullopt when no symbol is near; an error when the tables are malformed.
Result<std::optional<SymbolAt>> symbol_at(const ElfFile& elf, uint64_t address);

}  // namespace tproc::loader
