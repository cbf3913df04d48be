#include "loader/elf_sections.hpp"

#include <cstring>

#include "common/hex.hpp"
#include "loader/read_at.hpp"

namespace tproc::loader {

Result<std::vector<ElfSection>> allocated_sections(const ElfFile& elf) {
  const Elf64_Ehdr& header = elf.header();
  const auto bytes = elf.bytes();
  std::vector<ElfSection> found;
  if (header.e_shoff == 0 || header.e_shnum == 0) return found;
  if (header.e_shentsize != sizeof(Elf64_Shdr)) return Error("invalid e_shentsize " + std::to_string(header.e_shentsize));
  auto section = [&](uint64_t index) { return read_at<Elf64_Shdr>(bytes, header.e_shoff + index * sizeof(Elf64_Shdr)); };
  const auto names = header.e_shstrndx < header.e_shnum ? section(header.e_shstrndx) : std::nullopt;
  if (!names) return Error("section header table at " + hex(header.e_shoff) + " names no valid section name table");
  if (names->sh_offset > bytes.size() || bytes.size() - names->sh_offset < names->sh_size)
    return Error("section name table at " + hex(names->sh_offset) + " runs past the end of the file");
  const auto table = bytes.subspan(names->sh_offset, names->sh_size);
  for (uint64_t index = 1; index < header.e_shnum; ++index) {
    auto entry = section(index);
    if (!entry) return Error("section header table at " + hex(header.e_shoff) + " runs past the end of the file");
    if (!(entry->sh_flags & SHF_ALLOC) || entry->sh_name >= table.size()) continue;
    const auto* text = reinterpret_cast<const char*>(table.data()) + entry->sh_name;
    std::string name(text, strnlen(text, table.size() - entry->sh_name));
    if (name.empty()) continue;
    found.push_back({std::move(name), entry->sh_addr, entry->sh_size});
  }
  return found;
}

}  // namespace tproc::loader
