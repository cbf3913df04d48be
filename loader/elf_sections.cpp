#include "loader/elf_sections.hpp"

#include <cstring>

#include "common/hex.hpp"
#include "loader/read_at.hpp"

namespace tproc::loader {

Result<std::vector<Elf64_Shdr>> section_headers(const ElfFile& elf) {
  const Elf64_Ehdr& header = elf.header();
  std::vector<Elf64_Shdr> sections;
  if (header.e_shoff == 0 || header.e_shnum == 0) return sections;
  if (header.e_shentsize != sizeof(Elf64_Shdr)) return Error("invalid e_shentsize " + std::to_string(header.e_shentsize));
  for (uint64_t index = 0; index < header.e_shnum; ++index) {
    auto section = read_at<Elf64_Shdr>(elf.bytes(), header.e_shoff + index * sizeof(Elf64_Shdr));
    if (!section) return Error("section header table at " + hex(header.e_shoff) + " runs past the end of the file");
    sections.push_back(*section);
  }
  return sections;
}

Result<std::span<const std::byte>> section_contents(std::span<const std::byte> bytes, const Elf64_Shdr& section,
                                                    std::string_view what) {
  if (section.sh_offset > bytes.size() || bytes.size() - section.sh_offset < section.sh_size)
    return Error(std::string(what) + " at " + hex(section.sh_offset) + " runs past the end of the file");
  return bytes.subspan(section.sh_offset, section.sh_size);
}

Result<std::vector<ElfSection>> allocated_sections(const ElfFile& elf) {
  const std::vector<Elf64_Shdr> sections = TPROC_TRY(section_headers(elf));
  std::vector<ElfSection> found;
  if (sections.empty()) return found;
  const uint16_t names_index = elf.header().e_shstrndx;
  if (names_index >= sections.size())
    return Error("section header table at " + hex(elf.header().e_shoff) + " names no valid section name table");
  const auto table = TPROC_TRY(section_contents(elf.bytes(), sections[names_index], "section name table"));
  for (size_t index = 1; index < sections.size(); ++index) {
    const Elf64_Shdr& entry = sections[index];
    if (!(entry.sh_flags & SHF_ALLOC) || entry.sh_name >= table.size()) continue;
    const auto* text = reinterpret_cast<const char*>(table.data()) + entry.sh_name;
    std::string name(text, strnlen(text, table.size() - entry.sh_name));
    if (name.empty()) continue;
    found.push_back({std::move(name), entry.sh_addr, entry.sh_size});
  }
  return found;
}

}  // namespace tproc::loader
