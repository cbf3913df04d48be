// Writes the crafted part of the ELF parser's seed corpus: a few minimal files that parse (one
// PT_LOAD; PIE with PT_PHDR, PT_INTERP, text, data+bss and PT_GNU_STACK; a large p_align), and
// near misses that each break exactly one rule ElfFile::parse checks. Starting on both sides of
// every rule lets mutations explore the boundaries instead of first having to find a valid file.
// make-seeds adds real (tiny, compiled) programs beside these.
//
// Usage: elf_seeds DIR (make-seeds runs it into corpus/elf_file_fuzz). It checks that each seed is
// accepted or refused as its name says, so the corpus stays what it claims after parser changes.

#include <elf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"

namespace {

constexpr uint64_t kPhoff = sizeof(Elf64_Ehdr);
constexpr uint64_t kPageSize = 4096;
constexpr char kInterpreter[] = "/lib64/ld-linux-x86-64.so.2";

// exit(0) on x86_64: mov eax, 60; xor edi, edi; syscall. The parser never looks at code; it is
// here so the valid seeds are honest programs.
constexpr unsigned char kCode[] = {0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05};

/// An ELF file under construction: header, program headers at kPhoff, then `payload`.
struct Image {
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<unsigned char> payload;

  uint64_t payload_offset() const { return kPhoff + phdrs.size() * sizeof(Elf64_Phdr); }

  std::vector<unsigned char> bytes() const {
    std::vector<unsigned char> out(payload_offset() + payload.size());
    std::memcpy(out.data(), &ehdr, sizeof ehdr);
    std::memcpy(out.data() + kPhoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
    std::memcpy(out.data() + payload_offset(), payload.data(), payload.size());
    return out;
  }

  Elf64_Phdr& first(uint32_t type) {
    for (Elf64_Phdr& phdr : phdrs)
      if (phdr.p_type == type) return phdr;
    std::fprintf(stderr, "elf_seeds: no program header of type %u\n", type);
    std::exit(1);
  }
};

Elf64_Ehdr header(uint16_t type) {
  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  ehdr.e_type = type;
  ehdr.e_machine = tproc::arch::kElfMachine;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = kPhoff;
  ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  return ehdr;
}

Elf64_Phdr segment(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                   uint64_t memsz, uint64_t align) {
  return Elf64_Phdr{.p_type = type, .p_flags = flags, .p_offset = offset, .p_vaddr = vaddr,
                    .p_paddr = vaddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = align};
}

/// A static ET_EXEC: one PT_LOAD mapping the whole file (header and table included) at 0x400000.
Image exec_one_load() {
  Image image;
  image.ehdr = header(ET_EXEC);
  image.phdrs = {segment(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0, 0, kPageSize),
                 segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)};
  image.payload.assign(std::begin(kCode), std::end(kCode));
  const uint64_t size = image.payload_offset() + image.payload.size();
  image.phdrs[0].p_filesz = image.phdrs[0].p_memsz = size;
  image.ehdr.e_entry = 0x400000 + image.payload_offset();
  image.ehdr.e_phnum = static_cast<uint16_t>(image.phdrs.size());
  return image;
}

/// A PIE as a linker lays it out: PT_PHDR, PT_INTERP, text, data with bss, PT_GNU_STACK.
/// The data segment starts right after the text in the file and one page later in memory, so
/// offset and address stay congruent without padding the file to a page.
Image dyn_interp() {
  Image image;
  image.ehdr = header(ET_DYN);
  image.phdrs.resize(5);
  const uint64_t table = image.phdrs.size() * sizeof(Elf64_Phdr);
  const uint64_t interp_offset = image.payload_offset();
  const uint64_t code_offset = interp_offset + sizeof kInterpreter;
  const uint64_t data_offset = code_offset + sizeof kCode;
  const uint64_t data_size = 16;
  image.phdrs = {
      segment(PT_PHDR, PF_R, kPhoff, kPhoff, table, table, 8),
      segment(PT_INTERP, PF_R, interp_offset, interp_offset, sizeof kInterpreter, sizeof kInterpreter, 1),
      segment(PT_LOAD, PF_R | PF_X, 0, 0, data_offset, data_offset, kPageSize),
      segment(PT_LOAD, PF_R | PF_W, data_offset, kPageSize + data_offset, data_size, 0x100, kPageSize),
      segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)};
  image.payload.assign(std::begin(kInterpreter), std::end(kInterpreter));
  image.payload.insert(image.payload.end(), std::begin(kCode), std::end(kCode));
  image.payload.resize(image.payload.size() + data_size, 0x5a);
  image.ehdr.e_entry = code_offset;
  image.ehdr.e_phnum = static_cast<uint16_t>(image.phdrs.size());
  return image;
}

/// A PIE whose segments ask for 2 MiB alignment (as with -z max-page-size=0x200000).
Image dyn_huge_align() {
  Image image = dyn_interp();
  for (Elf64_Phdr& phdr : image.phdrs) {
    if (phdr.p_type != PT_LOAD) continue;
    phdr.p_align = 0x200000;
    if (phdr.p_offset != 0) phdr.p_vaddr = phdr.p_paddr = 0x200000 + phdr.p_offset;
  }
  return image;
}

struct Seed {
  std::string name;
  bool valid;
  std::function<Image()> make;
};

/// `base` with one change applied.
std::function<Image()> with(std::function<Image()> base, std::function<void(Image&)> change) {
  return [=] {
    Image image = base();
    change(image);
    return image;
  };
}

std::vector<Seed> seeds() {
  return {
      {"exec-one-load", true, exec_one_load},
      {"exec-no-gnu-stack", true, with(exec_one_load, [](Image& i) { i.first(PT_GNU_STACK).p_type = PT_NULL; })},
      {"exec-execstack", true, with(exec_one_load, [](Image& i) { i.first(PT_GNU_STACK).p_flags |= PF_X; })},
      {"dyn-interp", true, dyn_interp},
      {"dyn-huge-align", true, dyn_huge_align},
      {"dyn-no-pt-phdr", true, with(dyn_interp, [](Image& i) { i.first(PT_PHDR).p_type = PT_NULL; })},

      {"bad-elfclass32", false, with(exec_one_load, [](Image& i) { i.ehdr.e_ident[EI_CLASS] = ELFCLASS32; })},
      {"bad-big-endian", false, with(exec_one_load, [](Image& i) { i.ehdr.e_ident[EI_DATA] = ELFDATA2MSB; })},
      {"bad-version", false, with(exec_one_load, [](Image& i) { i.ehdr.e_ident[EI_VERSION] = 2; })},
      {"bad-machine", false, with(exec_one_load, [](Image& i) {
         i.ehdr.e_machine = tproc::arch::kElfMachine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
       })},
      {"bad-et-rel", false, with(exec_one_load, [](Image& i) { i.ehdr.e_type = ET_REL; })},
      {"bad-phentsize", false, with(exec_one_load, [](Image& i) { i.ehdr.e_phentsize = 32; })},
      {"bad-phnum-xnum", false, with(exec_one_load, [](Image& i) { i.ehdr.e_phnum = PN_XNUM; })},
      {"bad-phoff-past-end", false, with(exec_one_load, [](Image& i) { i.ehdr.e_phoff = 0x10000; })},
      {"bad-filesz-over-memsz", false, with(exec_one_load, [](Image& i) { i.first(PT_LOAD).p_memsz = 8; })},
      {"bad-load-past-end", false, with(exec_one_load, [](Image& i) {
         i.first(PT_LOAD).p_filesz += 1;
         i.first(PT_LOAD).p_memsz += 1;
       })},
      {"bad-not-congruent", false, with(exec_one_load, [](Image& i) { i.first(PT_LOAD).p_vaddr += 8; })},
      {"bad-beyond-user-space", false,
       with(exec_one_load, [](Image& i) { i.first(PT_LOAD).p_vaddr = 0x800000000000; })},
      {"bad-loads-overlap", false, with(dyn_interp, [](Image& i) { i.phdrs[2].p_memsz += kPageSize + 1; })},
      {"bad-loads-descend", false, with(dyn_interp, [](Image& i) { std::swap(i.phdrs[2], i.phdrs[3]); })},
      {"bad-interp-no-nul", false, with(dyn_interp, [](Image& i) { i.first(PT_INTERP).p_filesz -= 1; })},
      {"bad-two-interps", false, with(dyn_interp, [](Image& i) { i.first(PT_GNU_STACK) = i.first(PT_INTERP); })},
      {"bad-phdr-unmapped", false, with(dyn_interp, [](Image& i) { i.first(PT_PHDR).p_vaddr = 0x100000; })},
      {"bad-table-unmapped", false, with(exec_one_load, [](Image& i) {
         // The segment starts after the table, and no PT_PHDR says where else it is.
         Elf64_Phdr& load = i.first(PT_LOAD);
         load.p_offset = i.payload_offset();
         load.p_vaddr = load.p_paddr = 0x400000 + load.p_offset;
         load.p_filesz = load.p_memsz = i.payload.size();
       })},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (const Seed& seed : seeds()) {
    const std::vector<unsigned char> bytes = seed.make().bytes();
    const auto parsed = tproc::loader::ElfFile::parse(std::as_bytes(std::span(bytes)), tproc::arch::kElfMachine);
    if (parsed.has_value() != seed.valid) {
      std::fprintf(stderr, "elf_seeds: %s was %s: %s\n", seed.name.c_str(),
                   parsed ? "accepted" : "refused", parsed ? "" : parsed.error().describe().c_str());
      return 1;
    }
    // Say why each near miss is refused: a reviewer can see it fails on the rule its name says.
    std::printf("%-24s %s\n", seed.name.c_str(), parsed ? "accepted" : parsed.error().describe().c_str());
    const std::string path = dir + "/" + seed.name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "elf_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
