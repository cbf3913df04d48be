#pragma once
// Finding a symbol an executable defines, for endpoints a manifest publishes by symbol name.

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// The link-time address (st_value) of the symbol `name` that `elf` defines, from its dynamic
/// symbol table (exported symbols), else its full symbol table if not stripped. nullopt when it
/// defines no such symbol; an error when the section or symbol tables are malformed.
Result<std::optional<uint64_t>> find_defined_symbol(const ElfFile& elf, std::string_view name);

}  // namespace tproc::loader
