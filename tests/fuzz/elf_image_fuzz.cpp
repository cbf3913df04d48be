// Fuzz target for the loader's whole reading path on mutations of real binaries, not crafted
// headers: the input picks a real program (/bin/true, the host's ld.so, a non-PIE and a static-PIE
// linked by the host's cc) and a list of edits to its ELF header and program headers (set, add,
// xor a field; patch 8 bytes anywhere). The result goes into a memfd and through what the daemon
// does with a client's executable: FileImage::read_headers, ElfFile::parse, ElfDynamic::parse and
// MappedObject::map (real mappings in this process). Beyond "no crash, leak or UB" it checks that an
// accepted file keeps every header ld.so acts on inside the mapped object (issue 14, item 7), and
// that the copy the parsers read holds the file's own header bytes.
//
// Input: byte 0 chooses the base; then 11-byte edits [where][field][op][value: 8 bytes LE], where
// `where` 0xff is the ELF header, 0xfe a raw 8-byte patch at offset value % size (field and op
// pick the bytes' value), anything else a program header (index % e_phnum).

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "arch_traits.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/elf_file.hpp"
#include "loader/file_image.hpp"
#include "loader/mapped_object.hpp"

namespace {

using namespace tproc::loader;

void require(bool property) {
  if (!property) __builtin_trap();
}

std::vector<std::string> g_bases;
int g_memfd = -1;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return in ? std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()) : std::string();
}

uint64_t* phdr_field(Elf64_Phdr& phdr, unsigned field) {
  switch (field % 7) {
    case 0: return &phdr.p_offset;
    case 1: return &phdr.p_vaddr;
    case 2: return &phdr.p_paddr;
    case 3: return &phdr.p_filesz;
    case 4: return &phdr.p_memsz;
    case 5: return &phdr.p_align;
    default: return nullptr;  // p_type and p_flags: 32-bit
  }
}

void apply(uint64_t& target, unsigned op, uint64_t value) {
  switch (op % 3) {
    case 0: target = value; break;
    case 1: target += value; break;
    default: target ^= value; break;
  }
}

/// The header types the daemon's ElfFile check promises lie inside the span, with the size ld.so touches.
bool acted_on(const Elf64_Phdr& phdr, uint64_t& size) {
  switch (phdr.p_type) {
    case PT_GNU_RELRO: case PT_DYNAMIC: case PT_NOTE: case PT_GNU_PROPERTY: case PT_GNU_EH_FRAME:
      size = phdr.p_memsz;
      return true;
    case PT_INTERP: case PT_TLS:
      size = phdr.p_filesz;
      return true;
    default:
      return false;
  }
}

void mutate(std::string& image, const uint8_t* data, size_t size) {
  for (size_t at = 0; at + 11 <= size; at += 11) {
    const unsigned where = data[at], field = data[at + 1], op = data[at + 2];
    uint64_t value;
    std::memcpy(&value, data + at + 3, sizeof value);
    if (image.size() < sizeof(Elf64_Ehdr)) return;
    Elf64_Ehdr header;
    std::memcpy(&header, image.data(), sizeof header);
    if (where == 0xfe) {
      const uint64_t offset = value % image.size();
      const uint64_t bytes = (uint64_t{field} << 8 | op) * 0x0101010101010101ULL;
      std::memcpy(image.data() + offset, &bytes, std::min<size_t>(8, image.size() - offset));
    } else if (where == 0xff) {
      switch (field % 5) {
        case 0: apply(header.e_entry, op, value); break;
        case 1: apply(header.e_phoff, op, value); break;
        case 2: header.e_phnum = static_cast<uint16_t>(value); break;
        case 3: header.e_type = static_cast<uint16_t>(value); break;
        default: header.e_phentsize = static_cast<uint16_t>(value); break;
      }
      std::memcpy(image.data(), &header, sizeof header);
    } else {
      if (header.e_phnum == 0 || header.e_phentsize != sizeof(Elf64_Phdr)) continue;
      const uint64_t offset = header.e_phoff + (where % header.e_phnum) * sizeof(Elf64_Phdr);
      if (offset > image.size() || image.size() - offset < sizeof(Elf64_Phdr)) continue;
      Elf64_Phdr phdr;
      std::memcpy(&phdr, image.data() + offset, sizeof phdr);
      if (uint64_t* target = phdr_field(phdr, field)) apply(*target, op, value);
      else if (field % 2) phdr.p_type = static_cast<uint32_t>(value);
      else phdr.p_flags = static_cast<uint32_t>(value);
      std::memcpy(image.data() + offset, &phdr, sizeof phdr);
    }
  }
}

void check_accepted(const ElfFile& elf, const MappedObject* mapped) {
  const LoadSpan span = elf.load_span();
  for (const Elf64_Phdr& phdr : elf.program_headers()) {
    uint64_t size = 0;
    if (!acted_on(phdr, size)) continue;
    require(phdr.p_vaddr >= span.begin && size <= span.end - phdr.p_vaddr);
    if (mapped) {
      const uint64_t at = mapped->bias() + phdr.p_vaddr;
      require(at >= mapped->begin() && at + size <= mapped->end());
    }
  }
  if (mapped) require(mapped->phdr() >= mapped->begin() && mapped->phdr() < mapped->end());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* path : {"/bin/true", "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1",
                           TPROC_FUZZ_CORPUS "/elf_file_fuzz/libc-exec", TPROC_FUZZ_CORPUS "/elf_file_fuzz/tiny-static-pie",
                           TPROC_FUZZ_CORPUS "/elf_file_fuzz/libc-pie"}) {
    std::string bytes = read_all(path);
    if (!bytes.empty()) g_bases.push_back(std::move(bytes));
  }
  g_memfd = ::memfd_create("elf_image_fuzz", MFD_CLOEXEC);
  require(!g_bases.empty() && g_memfd >= 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string image = g_bases[data[0] % g_bases.size()];
  mutate(image, data + 1, size - 1);
  require(::ftruncate(g_memfd, 0) == 0 && ::pwrite(g_memfd, image.data(), image.size(), 0) == static_cast<ssize_t>(image.size()));

  auto copy = FileImage::read_headers(g_memfd);
  if (!copy) return 0;
  require(copy->bytes().size() == image.size());
  require(std::memcmp(copy->bytes().data(), image.data(), std::min<size_t>(image.size(), sizeof(Elf64_Ehdr))) == 0);
  auto elf = ElfFile::parse(copy->bytes(), tproc::arch::kElfMachine);
  if (!elf) {
    require(!elf.error().describe().empty());
    return 0;
  }
  check_accepted(*elf, nullptr);
  if (auto dynamic = ElfDynamic::parse(*elf); !dynamic) require(!dynamic.error().describe().empty());
  const tproc::UniqueFd fd(::fcntl(g_memfd, F_DUPFD_CLOEXEC, 0));
  auto mapped = MappedObject::map(fd);
  if (mapped) check_accepted(*elf, &*mapped);
  return 0;
}
