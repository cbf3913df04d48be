#include "loader/elf_symbols.hpp"

#include <cstring>
#include <tuple>

#include "common/hex.hpp"
#include "loader/elf_sections.hpp"
#include "loader/read_at.hpp"

namespace tproc::loader {
namespace {

/// Looks `name` up in the symbol table `symbols` whose names are in section `strings`.
Result<std::optional<uint64_t>> search(std::span<const std::byte> bytes, const Elf64_Shdr& symbols,
                                       const Elf64_Shdr& strings, std::string_view name) {
  if (symbols.sh_entsize != sizeof(Elf64_Sym)) return Error("symbol table entry size " + std::to_string(symbols.sh_entsize));
  const auto table = TPROC_TRY(section_contents(bytes, strings, "string table"));
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

/// The allocated section that holds link-time `address`: its index, or 0 when none does.
uint16_t section_holding(const std::vector<Elf64_Shdr>& sections, uint64_t address) {
  for (size_t index = 1; index < sections.size() && index < SHN_LORESERVE; ++index) {
    const Elf64_Shdr& section = sections[index];
    if ((section.sh_flags & SHF_ALLOC) && section.sh_addr <= address && address - section.sh_addr < section.sh_size)
      return static_cast<uint16_t>(index);
  }
  return 0;
}

/// How much a name is preferred among symbols at one address: lower is better.
std::tuple<int, int, size_t, size_t> rank(const Elf64_Sym& symbol, std::string_view name) {
  const size_t underscores = name.find_first_not_of('_');
  return {ELF64_ST_TYPE(symbol.st_info) == STT_NOTYPE ? 1 : 0, ELF64_ST_BIND(symbol.st_info) == STB_LOCAL ? 1 : 0,
          underscores == std::string_view::npos ? name.size() : underscores, name.size()};
}

/// The best symbol at `address` in one table (see symbol_at), or nullopt.
Result<std::optional<SymbolAt>> search_at(std::span<const std::byte> bytes, const std::vector<Elf64_Shdr>& sections,
                                          const Elf64_Shdr& symbols, uint64_t address) {
  if (symbols.sh_entsize != sizeof(Elf64_Sym)) return Error("symbol table entry size " + std::to_string(symbols.sh_entsize));
  if (symbols.sh_link >= sections.size()) return Error("symbol table at " + hex(symbols.sh_offset) + " names no string table");
  const auto table = TPROC_TRY(section_contents(bytes, sections[symbols.sh_link], "string table"));
  const uint16_t holder = section_holding(sections, address);

  std::optional<Elf64_Sym> best;
  std::string_view best_name;
  bool best_inside = false;
  for (uint64_t index = 1; index < symbols.sh_size / sizeof(Elf64_Sym); ++index) {
    auto symbol = read_at<Elf64_Sym>(bytes, symbols.sh_offset + index * sizeof(Elf64_Sym));
    if (!symbol) return Error("symbol table at " + hex(symbols.sh_offset) + " runs past the end of the file");
    const unsigned type = ELF64_ST_TYPE(symbol->st_info);
    if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC && type != STT_NOTYPE) continue;
    if (symbol->st_shndx == SHN_UNDEF || symbol->st_shndx >= SHN_LORESERVE || symbol->st_name >= table.size()) continue;
    if (symbol->st_value > address) continue;
    const auto* text = reinterpret_cast<const char*>(table.data()) + symbol->st_name;
    const std::string_view name(text, strnlen(text, table.size() - symbol->st_name));
    if (name.empty() || name[0] == '$') continue;  // aarch64's mapping symbols ($x, $d) name no object
    const bool inside = address - symbol->st_value < symbol->st_size || symbol->st_value == address;
    if (!inside && (holder == 0 || symbol->st_shndx != holder)) continue;
    // A symbol that holds the address beats a nearer one that does not; then the highest start
    // (the innermost, or the nearest); then the better name.
    const auto key = std::make_tuple(!inside, ~symbol->st_value, rank(*symbol, name));
    if (!best || key < std::make_tuple(!best_inside, ~best->st_value, rank(*best, best_name))) {
      best = symbol;
      best_name = name;
      best_inside = inside;
    }
  }
  if (!best) return std::optional<SymbolAt>{};
  return std::optional<SymbolAt>(SymbolAt{std::string(best_name), best->st_value, best->st_size, false, best_inside});
}

}  // namespace

Result<std::optional<SymbolAt>> symbol_at(const ElfFile& elf, uint64_t address) {
  const std::vector<Elf64_Shdr> sections = TPROC_TRY(section_headers(elf));
  std::optional<SymbolAt> nearest;
  for (uint32_t type : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (const Elf64_Shdr& symbols : sections) {
      if (symbols.sh_type != type) continue;
      std::optional<SymbolAt> found = TPROC_TRY(search_at(elf.bytes(), sections, symbols, address));
      if (!found) continue;
      found->from_symtab = type == SHT_SYMTAB;
      if (found->inside) return found;
      if (!nearest) nearest = std::move(found);
    }
  }
  return nearest;
}

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
