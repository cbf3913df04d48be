#include "common/hex.hpp"
#include "loader/elf_dynamic.hpp"

#include <elf.h>

#include <charconv>
#include <cstring>
#include <span>
#include <string_view>

// Reading runs in three stages: find PT_DYNAMIC and check its file range, walk its entries up to
// DT_NULL collecting string offsets, then locate DT_STRTAB through the PT_LOAD segments and read
// each name. Offsets are only turned into strings after the table's bounds are known, so no read
// leaves the file. ElfFile has already checked that every PT_LOAD's file range lies inside the
// bytes, which is what makes the table's translated range safe to read.

namespace tproc::loader {
namespace {

/// Whether [offset, offset + length) lies inside a buffer of `size` bytes.
bool in_bounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

// The string-valued entries, by offset into DT_STRTAB, before the table is known.
struct RawEntries {
  std::vector<uint64_t> needed;
  std::optional<uint64_t> soname;
  std::optional<uint64_t> rpath;
  std::optional<uint64_t> runpath;
  std::optional<uint64_t> strtab;
  std::optional<uint64_t> strsz;
  uint64_t flags_1 = 0;

  bool names_strings() const { return !needed.empty() || soname || rpath || runpath; }
};

Result<const Elf64_Phdr*> find_dynamic_segment(const ElfFile& elf) {
  const Elf64_Phdr* found = nullptr;
  for (const Elf64_Phdr& phdr : elf.program_headers()) {
    if (phdr.p_type != PT_DYNAMIC) continue;
    // Two would leave it to the reader which one describes the object.
    if (found != nullptr) return Error("more than one PT_DYNAMIC");
    found = &phdr;
  }
  return found;
}

Result<RawEntries> read_entries(const Elf64_Phdr& segment, std::span<const std::byte> bytes) {
  if (!in_bounds(segment.p_offset, segment.p_filesz, bytes.size())) {
    return Error("PT_DYNAMIC at offset " + hex(segment.p_offset) + " (" + hex(segment.p_filesz) +
                 " bytes) is outside the file (" + hex(bytes.size()) + " bytes)");
  }
  RawEntries raw;
  for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= segment.p_filesz; at += sizeof(Elf64_Dyn)) {
    Elf64_Dyn entry;
    std::memcpy(&entry, bytes.data() + segment.p_offset + at, sizeof entry);
    // The last entry of a tag wins, as in ld.so's table of dynamic entries.
    switch (entry.d_tag) {
      case DT_NULL: return raw;
      case DT_NEEDED: raw.needed.push_back(entry.d_un.d_val); break;
      case DT_SONAME: raw.soname = entry.d_un.d_val; break;
      case DT_RPATH: raw.rpath = entry.d_un.d_val; break;
      case DT_RUNPATH: raw.runpath = entry.d_un.d_val; break;
      case DT_STRTAB: raw.strtab = entry.d_un.d_ptr; break;
      case DT_STRSZ: raw.strsz = entry.d_un.d_val; break;
      case DT_FLAGS_1: raw.flags_1 = entry.d_un.d_val; break;
      default: break;
    }
  }
  // Without DT_NULL, ld.so would read past the segment looking for the end.
  return Error("PT_DYNAMIC at offset " + hex(segment.p_offset) + " (" + hex(segment.p_filesz) +
               " bytes) has no DT_NULL terminator");
}

// The string table as file bytes: DT_STRTAB is a link-time address, so it is translated through
// the PT_LOAD whose file bytes hold it. A table in bss or outside every segment is refused.
Result<std::string_view> locate_string_table(const ElfFile& elf, uint64_t address,
                                             uint64_t size) {
  for (const Elf64_Phdr& load : elf.program_headers()) {
    if (load.p_type != PT_LOAD) continue;
    if (address < load.p_vaddr || address - load.p_vaddr >= load.p_filesz) continue;
    const uint64_t into_segment = address - load.p_vaddr;
    if (size > load.p_filesz - into_segment) {
      return Error("string table at " + hex(address) + " (DT_STRSZ " + hex(size) +
                   ") runs past the file bytes of its segment, which end at " +
                   hex(load.p_vaddr + load.p_filesz));
    }
    const auto* text = reinterpret_cast<const char*>(elf.bytes().data());
    return std::string_view(text + load.p_offset + into_segment, size);
  }
  return Error("DT_STRTAB " + hex(address) + " is not in a loadable segment");
}

Result<std::string> read_string(std::string_view table, uint64_t offset, const char* tag) {
  if (offset >= table.size()) {
    return Error(std::string(tag) + " offset " + hex(offset) + " outside the string table of " +
                 hex(table.size()) + " bytes");
  }
  const size_t nul = table.find('\0', offset);
  if (nul == std::string_view::npos) {
    return Error(std::string(tag) + " at offset " + hex(offset) +
                 " is not NUL-terminated inside the string table of " + hex(table.size()) +
                 " bytes");
  }
  return std::string(table.substr(offset, nul - offset));
}

Result<std::optional<std::string>> read_optional(std::string_view table,
                                                 std::optional<uint64_t> offset, const char* tag) {
  if (!offset) return std::optional<std::string>();
  return std::optional<std::string>(TPROC_TRY(read_string(table, *offset, tag)));
}

}  // namespace

bool ElfDynamic::nodeflib() const { return (flags_1_ & DF_1_NODEFLIB) != 0; }

Result<ElfDynamic> ElfDynamic::parse(const ElfFile& elf) {
  ElfDynamic dynamic;
  const Elf64_Phdr* segment = TPROC_TRY(find_dynamic_segment(elf));
  if (segment == nullptr) return dynamic;
  dynamic.present_ = true;

  const RawEntries raw = TPROC_TRY(read_entries(*segment, elf.bytes()));
  dynamic.flags_1_ = raw.flags_1;
  if (!raw.names_strings()) return dynamic;
  if (!raw.strtab) return Error("the dynamic section names strings but has no DT_STRTAB");
  if (!raw.strsz) return Error("DT_STRTAB " + hex(*raw.strtab) + " without DT_STRSZ");
  const std::string_view table = TPROC_TRY(locate_string_table(elf, *raw.strtab, *raw.strsz));

  dynamic.needed_.reserve(raw.needed.size());
  for (uint64_t offset : raw.needed) {
    dynamic.needed_.push_back(TPROC_TRY(read_string(table, offset, "DT_NEEDED")));
  }
  dynamic.soname_ = TPROC_TRY(read_optional(table, raw.soname, "DT_SONAME"));
  dynamic.rpath_ = TPROC_TRY(read_optional(table, raw.rpath, "DT_RPATH"));
  dynamic.runpath_ = TPROC_TRY(read_optional(table, raw.runpath, "DT_RUNPATH"));
  return dynamic;
}

}  // namespace tproc::loader
