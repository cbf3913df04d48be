#include "elf_bytes.hpp"

#include <elf.h>

#include <cstring>
#include <stdexcept>

namespace tproc::e2e {

namespace {

template <class T>
void put(std::string& image, size_t offset, const T& value) {
  if (image.size() < offset + sizeof value) image.resize(offset + sizeof value);
  std::memcpy(image.data() + offset, &value, sizeof value);
}

template <class T>
T get(std::string_view image, size_t offset) {
  if (offset > image.size() || image.size() - offset < sizeof(T))
    throw std::runtime_error("ELF image too short for a read at offset " + std::to_string(offset));
  T value;
  std::memcpy(&value, image.data() + offset, sizeof value);
  return value;
}

Elf64_Ehdr header64(std::string_view image) {
  auto header = get<Elf64_Ehdr>(image, 0);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64)
    throw std::runtime_error("not a 64-bit ELF image");
  return header;
}

/// The PT_INTERP program header of a 64-bit image.
Elf64_Phdr interp_header(std::string_view image) {
  Elf64_Ehdr header = header64(image);
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    auto phdr = get<Elf64_Phdr>(image, header.e_phoff + size_t{i} * header.e_phentsize);
    if (phdr.p_type == PT_INTERP) return phdr;
  }
  Elf64_Phdr none{};
  none.p_type = PT_NULL;
  return none;
}

void fill_ident(unsigned char* ident, unsigned char elf_class) {
  std::memcpy(ident, ELFMAG, SELFMAG);
  ident[EI_CLASS] = elf_class;
  ident[EI_DATA] = ELFDATA2LSB;
  ident[EI_VERSION] = EV_CURRENT;
  ident[EI_OSABI] = ELFOSABI_SYSV;
}

}  // namespace

std::string craft_elf32_i386() {
  // xor ebx, ebx; mov eax, 1 (exit); int 0x80
  const std::string code("\x31\xdb\xb8\x01\x00\x00\x00\xcd\x80", 9);
  const size_t code_offset = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);
  const auto total = static_cast<Elf32_Word>(code_offset + code.size());

  Elf32_Ehdr header{};
  fill_ident(header.e_ident, ELFCLASS32);
  header.e_type = ET_DYN;
  header.e_machine = EM_386;
  header.e_version = EV_CURRENT;
  header.e_entry = static_cast<Elf32_Addr>(code_offset);
  header.e_phoff = sizeof(Elf32_Ehdr);
  header.e_ehsize = sizeof(Elf32_Ehdr);
  header.e_phentsize = sizeof(Elf32_Phdr);
  header.e_phnum = 1;

  Elf32_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_offset = 0;
  load.p_vaddr = 0;
  load.p_paddr = 0;
  load.p_filesz = total;
  load.p_memsz = total;
  load.p_flags = PF_R | PF_X;
  load.p_align = 0x1000;

  std::string image;
  put(image, 0, header);
  put(image, sizeof(Elf32_Ehdr), load);
  image += code;
  return image;
}

std::string craft_elf64_riscv() {
  // li a0, 0; li a7, 93 (exit); ecall
  const std::string code("\x13\x05\x00\x00\x93\x08\xd0\x05\x73\x00\x00\x00", 12);
  const size_t code_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
  const Elf64_Xword total = code_offset + code.size();

  Elf64_Ehdr header{};
  fill_ident(header.e_ident, ELFCLASS64);
  header.e_type = ET_DYN;
  header.e_machine = EM_RISCV;
  header.e_version = EV_CURRENT;
  header.e_entry = code_offset;
  header.e_phoff = sizeof(Elf64_Ehdr);
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = 1;

  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_offset = 0;
  load.p_vaddr = 0;
  load.p_paddr = 0;
  load.p_filesz = total;
  load.p_memsz = total;
  load.p_flags = PF_R | PF_X;
  load.p_align = 0x10000;

  std::string image;
  put(image, 0, header);
  put(image, sizeof(Elf64_Ehdr), load);
  image += code;
  return image;
}

uint16_t elf_type(std::string_view image) { return header64(image).e_type; }

std::string elf_interpreter(std::string_view image) {
  Elf64_Phdr interp = interp_header(image);
  if (interp.p_type != PT_INTERP) return {};
  if (interp.p_offset > image.size() || image.size() - interp.p_offset < interp.p_filesz)
    throw std::runtime_error("PT_INTERP lies outside the image");
  std::string path(image.substr(interp.p_offset, interp.p_filesz));
  return path.substr(0, path.find('\0'));
}

std::string with_interpreter(std::string image, std::string_view path) {
  Elf64_Phdr interp = interp_header(image);
  std::string old_path = elf_interpreter(image);
  if (interp.p_type != PT_INTERP) throw std::runtime_error("the image has no PT_INTERP");
  if (path.size() != old_path.size())
    throw std::runtime_error("the new interpreter path must be " + std::to_string(old_path.size()) +
                             " bytes long like " + old_path);
  std::memcpy(image.data() + interp.p_offset, path.data(), path.size());
  return image;
}

std::string with_program_header(std::string image, uint32_t type,
                                const std::function<void(Elf64_Phdr&)>& edit) {
  Elf64_Ehdr header = header64(image);
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    const size_t offset = header.e_phoff + size_t{i} * header.e_phentsize;
    auto phdr = get<Elf64_Phdr>(image, offset);
    if (phdr.p_type != type) continue;
    edit(phdr);
    put(image, offset, phdr);
    return image;
  }
  throw std::runtime_error("the image has no program header of type " + std::to_string(type));
}

}  // namespace tproc::e2e
