// Fuzz target for ElfFile::parse: any bytes either fail with an error or yield an ElfFile whose
// documented invariant (loader/elf_file.hpp) holds. The loader maps what parse() accepted without
// checking again, so an accepted file that breaks the invariant is a bug even if nothing crashed
// here: each broken property traps, and the sanitizers catch any read outside the bytes.

#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"

namespace {

using tproc::loader::ElfFile;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kUserSpaceEnd = 0x0000800000000000;

/// Traps (a crash libFuzzer records) unless `property` holds.
void require(bool property) {
  if (!property) __builtin_trap();
}

bool inside(std::span<const std::byte> outer, const void* begin, size_t length) {
  const auto* first = static_cast<const std::byte*>(begin);
  return first >= outer.data() && length <= outer.size() &&
         static_cast<size_t>(first - outer.data()) <= outer.size() - length;
}

/// Checks every accessor of an accepted file against the invariant in elf_file.hpp.
void check_accepted(const ElfFile& elf, std::span<const std::byte> bytes) {
  require(elf.bytes().data() == bytes.data() && elf.bytes().size() == bytes.size());
  require(elf.type() == ET_EXEC || elf.type() == ET_DYN);
  require(elf.position_independent() == (elf.type() == ET_DYN));
  require(elf.header().e_machine == tproc::arch::kElfMachine);
  require(elf.entry() == elf.header().e_entry);

  const auto phdrs = elf.program_headers();
  require(!phdrs.empty() && phdrs.size() == elf.header().e_phnum);
  // The table was copied out of the file, so it must equal the bytes at e_phoff.
  require(elf.header().e_phoff <= bytes.size() &&
          phdrs.size_bytes() <= bytes.size() - elf.header().e_phoff);
  require(std::memcmp(phdrs.data(), bytes.data() + elf.header().e_phoff, phdrs.size_bytes()) == 0);

  const tproc::loader::LoadSpan span = elf.load_span();
  require(span.begin % kPageSize == 0 && span.end % kPageSize == 0);
  require(span.begin < span.end && span.end <= kUserSpaceEnd && span.size() == span.end - span.begin);

  const Elf64_Phdr* previous = nullptr;
  bool phdr_mapped = false;
  for (const Elf64_Phdr& phdr : phdrs) {
    if (phdr.p_type != PT_LOAD) continue;
    require(phdr.p_filesz <= phdr.p_memsz);
    require(phdr.p_offset <= bytes.size() && phdr.p_filesz <= bytes.size() - phdr.p_offset);
    require(phdr.p_memsz <= kUserSpaceEnd && phdr.p_vaddr <= kUserSpaceEnd - phdr.p_memsz);
    require((phdr.p_vaddr - phdr.p_offset) % kPageSize == 0);
    require(phdr.p_vaddr >= span.begin && phdr.p_vaddr + phdr.p_memsz <= span.end);
    if (previous != nullptr) require(phdr.p_vaddr >= previous->p_vaddr + previous->p_memsz);
    previous = &phdr;
    // AT_PHDR must point at the table inside a segment's file-backed part.
    const uint64_t table = phdrs.size_bytes();
    if (elf.phdr_address() >= phdr.p_vaddr && elf.phdr_address() - phdr.p_vaddr <= phdr.p_filesz &&
        table <= phdr.p_filesz - (elf.phdr_address() - phdr.p_vaddr)) {
      phdr_mapped = true;
    }
  }
  require(previous != nullptr);
  require(phdr_mapped);

  if (const auto interpreter = elf.interpreter()) {
    require(!interpreter->empty() && interpreter->size() < 4096);
    // A view into the bytes, followed there by its NUL.
    require(inside(bytes, interpreter->data(), interpreter->size() + 1));
    require(interpreter->data()[interpreter->size()] == '\0');
    require(interpreter->find('\0') == std::string_view::npos);
  }

  // Every header ld.so acts on at bias + p_vaddr lies inside the span (issue 14, item 7).
  for (const Elf64_Phdr& phdr : phdrs) {
    uint64_t size = 0;
    switch (phdr.p_type) {
      case PT_GNU_RELRO: case PT_DYNAMIC: case PT_NOTE: case PT_GNU_PROPERTY: case PT_GNU_EH_FRAME:
        size = phdr.p_memsz;
        break;
      case PT_INTERP: case PT_TLS:
        size = phdr.p_filesz;
        break;
      default:
        continue;
    }
    require(phdr.p_vaddr >= span.begin && size <= span.end - phdr.p_vaddr);
  }

  (void)elf.executable_stack();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  auto elf = ElfFile::parse(bytes, tproc::arch::kElfMachine);
  if (!elf) {
    // Building the message formats the offending values: exercise that path too.
    require(!elf.error().describe().empty());
    return 0;
  }
  check_accepted(*elf, bytes);
  return 0;
}
