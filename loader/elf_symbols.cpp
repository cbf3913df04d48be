#include "loader/elf_symbols.hpp"

#include <cstring>

#include "common/hex.hpp"
#include "loader/read_at.hpp"

namespace tproc::loader {
namespace {

/// Looks `name` up in the symbol table `symbols` whose names are in section `strings`.
Result<std::optional<uint64_t>> search(std::span<const std::byte> bytes, const Elf64_Shdr& symbols,
                                       const Elf64_Shdr& strings, std::string_view name) {
  if (symbols.sh_entsize != sizeof(Elf64_Sym)) return Error("symbol table entry size " + std::to_string(symbols.sh_entsize));
  if (strings.sh_offset > bytes.size() || bytes.size() - strings.sh_offset < strings.sh_size)
    return Error("string table at " + hex(strings.sh_offset) + " runs past the end of the file");
  const auto table = bytes.subspan(strings.sh_offset, strings.sh_size);
  for (uint64_t index = 1; index < symbols.sh_size / sizeof(Elf64_Sym); ++index) {
    auto symbol = read_at<Elf64_Sym>(bytes, symbols.sh_offset + index * sizeof(Elf64_Sym));
    if (!symbol) return Error("symbol table at " + hex(symbols.sh_offset) + " runs past the end of the file");
    if (symbol->st_shndx == SHN_UNDEF || symbol->st_name >= table.size()) continue;
    const auto* text = reinterpret_cast<const char*>(table.data()) + symbol->st_name;
    const size_t length = strnlen(text, table.size() - symbol->st_name);
    if (std::string_view(text, length) == name) return std::optional<uint64_t>(symbol->st_value);
  }
  return std::optional<uint64_t>{};
}

}  // namespace

Result<std::optional<uint64_t>> find_defined_symbol(const ElfFile& elf, std::string_view name) {
  const Elf64_Ehdr& header = elf.header();
  const auto bytes = elf.bytes();
  if (header.e_shoff == 0 || header.e_shnum == 0) return std::optional<uint64_t>{};
  if (header.e_shentsize != sizeof(Elf64_Shdr)) return Error("invalid e_shentsize " + std::to_string(header.e_shentsize));
  auto section = [&](uint64_t index) { return read_at<Elf64_Shdr>(bytes, header.e_shoff + index * sizeof(Elf64_Shdr)); };
  for (uint32_t type : {SHT_DYNSYM, SHT_SYMTAB}) {
    for (uint64_t index = 0; index < header.e_shnum; ++index) {
      auto symbols = section(index);
      if (!symbols) return Error("section header table at " + hex(header.e_shoff) + " runs past the end of the file");
      if (symbols->sh_type != type) continue;
      auto strings = symbols->sh_link < header.e_shnum ? section(symbols->sh_link) : std::nullopt;
      if (!strings) return Error("symbol table " + std::to_string(index) + " names no valid string table");
      auto found = TPROC_TRY(search(bytes, *symbols, *strings, name));
      if (found) return found;
    }
  }
  return std::optional<uint64_t>{};
}

}  // namespace tproc::loader
