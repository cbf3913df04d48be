// Specification of ElfFile::parse: what it accepts, what it refuses and why, and that it never
// reads outside the bytes it is given.

#include "loader/elf_file.hpp"

#include <elf.h>
#include <sys/auxv.h>

#include <algorithm>
#include <cctype>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "arch_traits.hpp"

namespace {

using tproc::Result;
using tproc::arch::kElfMachine;
using tproc::loader::ElfFile;
using tproc::loader::machine_name;

// An architecture the host cannot run, whichever host this is.
constexpr uint16_t kForeignMachine = kElfMachine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;

constexpr uint64_t kPhoff = sizeof(Elf64_Ehdr);
constexpr uint64_t kPayloadOffset = 0x200;
constexpr uint64_t kDataSize = 0x10;
constexpr uint64_t kBssSize = 0x100;
constexpr const char* kInterpreter = "/lib/ld-test.so.1";

// An ELF image under construction. The program headers are always written at offset 64 and the
// payload at 0x200, whatever the header claims, so a test can make the header lie.
struct ElfImage {
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<std::byte> payload;
  std::optional<uint16_t> phnum;  // e_phnum when it should differ from phdrs.size()
  std::optional<size_t> size;     // the file size when it should differ from the natural end
  std::vector<std::byte> built;   // what parse() saw: ElfFile views it, so it lives here

  /// The file as bytes.
  std::vector<std::byte> bytes() const {
    REQUIRE(kPhoff + phdrs.size() * sizeof(Elf64_Phdr) <= kPayloadOffset);
    std::vector<std::byte> out(kPayloadOffset + payload.size());
    Elf64_Ehdr header = ehdr;
    header.e_phnum = phnum.value_or(static_cast<uint16_t>(phdrs.size()));
    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + kPhoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
    std::copy(payload.begin(), payload.end(), out.begin() + kPayloadOffset);
    out.resize(size.value_or(out.size()));
    return out;
  }

  /// Builds the bytes and parses them.
  Result<ElfFile> parse(uint16_t machine = kElfMachine) {
    built = bytes();
    return ElfFile::parse(built, machine);
  }

  /// The nth program header of `type`.
  Elf64_Phdr& segment(uint32_t type, size_t nth = 0) {
    for (Elf64_Phdr& phdr : phdrs) {
      if (phdr.p_type == type && nth-- == 0) return phdr;
    }
    FAIL("the image has no such program header");
    return phdrs.front();
  }

  Elf64_Phdr& text() { return segment(PT_LOAD, 0); }
  Elf64_Phdr& data() { return segment(PT_LOAD, 1); }

  /// Drops every program header of `type`.
  void remove(uint32_t type) {
    std::erase_if(phdrs, [type](const Elf64_Phdr& phdr) { return phdr.p_type == type; });
  }
};

Elf64_Phdr program_header(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                          uint64_t filesz, uint64_t memsz, uint64_t align) {
  Elf64_Phdr phdr{};
  phdr.p_type = type;
  phdr.p_flags = flags;
  phdr.p_offset = offset;
  phdr.p_vaddr = vaddr;
  phdr.p_paddr = vaddr;
  phdr.p_filesz = filesz;
  phdr.p_memsz = memsz;
  phdr.p_align = align;
  return phdr;
}

// A small valid PIE as a linker lays it out:
//   [0] PT_PHDR       0x40            (table at file offset 0x40)
//   [1] PT_INTERP     0x200           `interpreter` + NUL
//   [2] PT_LOAD  r-x  0x0-0x220       headers, table and interpreter
//   [3] PT_LOAD  rw-  0x1220-0x1320   0x10 bytes of data from file offset 0x220, then bss
//   [4] PT_GNU_STACK  rw-
// The data segment ends the file, so every strict prefix of it is truncated.
ElfImage dyn_image(const std::string& interpreter = kInterpreter) {
  ElfImage image;
  std::memcpy(image.ehdr.e_ident, ELFMAG, SELFMAG);
  image.ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  image.ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  image.ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  image.ehdr.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  image.ehdr.e_type = ET_DYN;
  image.ehdr.e_machine = kElfMachine;
  image.ehdr.e_version = EV_CURRENT;
  image.ehdr.e_entry = 0x100;
  image.ehdr.e_phoff = kPhoff;
  image.ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  image.ehdr.e_phentsize = sizeof(Elf64_Phdr);

  const uint64_t interp_size = interpreter.size() + 1;
  const uint64_t data_offset = (kPayloadOffset + interp_size + 15) & ~uint64_t{15};
  image.payload.resize(data_offset - kPayloadOffset + kDataSize);
  std::memcpy(image.payload.data(), interpreter.data(), interpreter.size());
  std::fill(image.payload.end() - kDataSize, image.payload.end(), std::byte{0xab});

  const uint64_t table_size = 5 * sizeof(Elf64_Phdr);
  image.phdrs = {
      program_header(PT_PHDR, PF_R, kPhoff, kPhoff, table_size, table_size, 8),
      program_header(PT_INTERP, PF_R, kPayloadOffset, kPayloadOffset, interp_size, interp_size, 1),
      program_header(PT_LOAD, PF_R | PF_X, 0, 0, data_offset, data_offset, 0x1000),
      program_header(PT_LOAD, PF_R | PF_W, data_offset, data_offset + 0x1000, kDataSize, kBssSize,
                     0x1000),
      program_header(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
  };
  return image;
}

// A small valid non-PIE at 0x400000 with only its two PT_LOADs: no PT_PHDR, no PT_INTERP (static),
// no PT_GNU_STACK.
ElfImage exec_image() {
  ElfImage image = dyn_image();
  image.ehdr.e_type = ET_EXEC;
  image.ehdr.e_entry = 0x400100;
  image.remove(PT_PHDR);
  image.remove(PT_INTERP);
  image.remove(PT_GNU_STACK);
  for (Elf64_Phdr& phdr : image.phdrs) {
    phdr.p_vaddr += 0x400000;
    phdr.p_paddr += 0x400000;
  }
  return image;
}

/// The message `image` is refused with (the test fails if it is accepted).
std::string refusal(ElfImage& image, uint16_t machine = kElfMachine) {
  Result<ElfFile> result = image.parse(machine);
  REQUIRE_FALSE(result.has_value());
  return result.error().message();
}

std::vector<std::byte> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

}  // namespace

// --- What it accepts ---------------------------------------------------------------------------

TEST_CASE("ElfFile accepts a PIE with PT_INTERP, PT_PHDR and PT_GNU_STACK") {
  ElfImage image = dyn_image();
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());

  CHECK(sut->type() == ET_DYN);
  CHECK(sut->position_independent());
  CHECK(sut->entry() == 0x100);
  CHECK(sut->header().e_machine == kElfMachine);
  CHECK(sut->program_headers().size() == 5);
  CHECK(sut->program_headers()[3].p_memsz == kBssSize);
  REQUIRE(sut->interpreter().has_value());
  CHECK(*sut->interpreter() == kInterpreter);
  CHECK_FALSE(sut->executable_stack());
  CHECK(sut->load_span().begin == 0);
  CHECK(sut->load_span().end == 0x2000);
  CHECK(sut->load_span().size() == 0x2000);
  CHECK(sut->phdr_address() == 0x40);
  CHECK(sut->bytes().data() == image.built.data());
  CHECK(sut->bytes().size() == image.built.size());
}

TEST_CASE("ElfFile's interpreter points into the bytes it was given") {
  ElfImage image = dyn_image();
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  REQUIRE(sut->interpreter().has_value());
  const auto* interp = reinterpret_cast<const std::byte*>(sut->interpreter()->data());
  CHECK(interp == image.built.data() + kPayloadOffset);
}

TEST_CASE("ElfFile reports an executable stack when PT_GNU_STACK has PF_X") {
  ElfImage image = dyn_image();
  image.segment(PT_GNU_STACK).p_flags = PF_R | PF_W | PF_X;
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->executable_stack());
}

TEST_CASE("ElfFile accepts a static non-PIE executable at its fixed address") {
  ElfImage image = exec_image();
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());

  CHECK(sut->type() == ET_EXEC);
  CHECK_FALSE(sut->position_independent());
  CHECK(sut->entry() == 0x400100);
  CHECK_FALSE(sut->interpreter().has_value());
  CHECK(sut->load_span().begin == 0x400000);
  CHECK(sut->load_span().end == 0x402000);
}

TEST_CASE("ElfFile finds the program header table through the PT_LOAD that covers it") {
  ElfImage image = exec_image();
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->phdr_address() == 0x400040);
}

TEST_CASE("ElfFile takes the architecture's default stack when there is no PT_GNU_STACK") {
  ElfImage image = exec_image();
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->executable_stack() == tproc::arch::kStackExecutableByDefault);
}

TEST_CASE("ElfFile accepts bytes at an unaligned address") {
  ElfImage image = dyn_image();
  const std::vector<std::byte> bytes = image.bytes();
  std::vector<std::byte> shifted(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);

  Result<ElfFile> sut = ElfFile::parse(std::span(shifted).subspan(1), kElfMachine);
  REQUIRE(sut.has_value());
  CHECK(sut->program_headers()[2].p_type == PT_LOAD);
  CHECK(sut->phdr_address() == 0x40);
}

TEST_CASE("ElfFile accepts a PT_INTERP padded with NULs after the path") {
  ElfImage image = dyn_image();
  image.segment(PT_INTERP).p_filesz += 4;
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(*sut->interpreter() == kInterpreter);
}

TEST_CASE("ElfFile accepts a segment congruent modulo its large p_align") {
  ElfImage image = dyn_image();
  image.data().p_vaddr = image.data().p_offset + 0x200000;
  image.data().p_align = 0x200000;
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->load_span().end == 0x201000);
}

TEST_CASE("ElfFile checks only page congruence when p_align is not a power of two") {
  ElfImage image = dyn_image();
  image.data().p_align = 0x3000;
  CHECK(image.parse().has_value());
}

TEST_CASE("ElfFile accepts the running test binary and agrees with the kernel about it") {
  const std::vector<std::byte> bytes = read_whole_file("/proc/self/exe");
  Result<ElfFile> sut = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(sut.has_value());

  // The kernel loaded us at some bias: AT_PHDR and AT_ENTRY must both sit at that same bias.
  const uint64_t bias = getauxval(AT_PHDR) - sut->phdr_address();
  CHECK(getauxval(AT_ENTRY) == bias + sut->entry());
  CHECK(getauxval(AT_PHNUM) == sut->program_headers().size());
  CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
  CHECK(std::memcmp(reinterpret_cast<const void*>(getauxval(AT_PHDR)),
                    sut->program_headers().data(), sut->program_headers().size_bytes()) == 0);
  CHECK(sut->load_span().size() > 0);
  CHECK(sut->load_span().begin % 4096 == 0);
  CHECK(sut->load_span().end % 4096 == 0);

  REQUIRE(sut->interpreter().has_value());
  CHECK(std::filesystem::exists(std::string(*sut->interpreter())));
}

TEST_CASE("ElfFile accepts the test binary's own interpreter as a shared object") {
  const std::vector<std::byte> exe = read_whole_file("/proc/self/exe");
  Result<ElfFile> program = ElfFile::parse(exe, kElfMachine);
  REQUIRE(program.has_value());
  REQUIRE(program->interpreter().has_value());

  const std::vector<std::byte> bytes = read_whole_file(std::string(*program->interpreter()));
  Result<ElfFile> sut = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(sut.has_value());
  CHECK(sut->type() == ET_DYN);
  CHECK_FALSE(sut->interpreter().has_value());
}

// --- What it refuses, and what it says ---------------------------------------------------------

TEST_CASE("ElfFile refuses a file too small for an ELF header") {
  ElfImage image = dyn_image();
  image.size = 10;
  CHECK_THAT(refusal(image), Catch::Contains("file too small for an ELF header (10 bytes)"));
}

TEST_CASE("ElfFile refuses an empty file") {
  ElfImage image = dyn_image();
  image.size = 0;
  CHECK_THAT(refusal(image), Catch::Contains("file too small for an ELF header (0 bytes)"));
}

TEST_CASE("ElfFile refuses a file without the ELF magic") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_MAG1] = 'F';
  CHECK_THAT(refusal(image), Catch::Contains("not an ELF file (bad magic)"));
}

TEST_CASE("ElfFile calls a short script not an ELF file rather than too small") {
  const std::string script = "#!/bin/sh\necho hi\n";
  const auto bytes = std::as_bytes(std::span(script));
  Result<ElfFile> sut = ElfFile::parse(bytes, kElfMachine);
  REQUIRE_FALSE(sut.has_value());
  CHECK_THAT(sut.error().message(), Catch::Contains("not an ELF file (bad magic)"));
}

TEST_CASE("ElfFile refuses a 32-bit ELF") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_CLASS] = ELFCLASS32;
  CHECK_THAT(refusal(image), Catch::Contains("32-bit ELF (ELFCLASS32) is not supported"));
}

TEST_CASE("ElfFile refuses an invalid ELF class") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_CLASS] = 7;
  CHECK_THAT(refusal(image), Catch::Contains("invalid ELF class 7"));
}

TEST_CASE("ElfFile refuses a big-endian ELF") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_DATA] = ELFDATA2MSB;
  CHECK_THAT(refusal(image), Catch::Contains("big-endian ELF (ELFDATA2MSB) is not supported"));
}

TEST_CASE("ElfFile refuses an invalid data encoding") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_DATA] = ELFDATANONE;
  CHECK_THAT(refusal(image), Catch::Contains("invalid ELF data encoding 0"));
}

TEST_CASE("ElfFile refuses an unknown EI_VERSION") {
  ElfImage image = dyn_image();
  image.ehdr.e_ident[EI_VERSION] = 0;
  CHECK_THAT(refusal(image), Catch::Contains("invalid ELF version 0 (expected 1)"));
}

TEST_CASE("ElfFile refuses a binary for another architecture, naming both") {
  ElfImage image = dyn_image();
  image.ehdr.e_machine = kForeignMachine;
  const std::string expected = machine_name(kForeignMachine) + " binary on " +
                               machine_name(kElfMachine);
  CHECK_THAT(refusal(image), Catch::Contains(expected));
  CHECK_THAT(refusal(image), Catch::Contains(std::string(" binary on ") + tproc::arch::kName));
}

TEST_CASE("ElfFile names an unknown architecture by its number") {
  ElfImage image = dyn_image();
  image.ehdr.e_machine = 4660;
  CHECK_THAT(refusal(image), Catch::Contains("machine 4660 binary on " + machine_name(kElfMachine)));
}

TEST_CASE("ElfFile refuses objects that are neither executables nor shared objects") {
  auto [type, name] = GENERATE(table<uint16_t, std::string>({
      {ET_REL, "ET_REL"},
      {ET_CORE, "ET_CORE"},
      {ET_NONE, "ET_NONE"},
      {0xfe00, "0xfe00"},
  }));
  ElfImage image = dyn_image();
  image.ehdr.e_type = type;
  CHECK_THAT(refusal(image),
             Catch::Contains("not an executable or shared object (e_type " + name + ")"));
}

TEST_CASE("ElfFile refuses a program header entry size other than Elf64_Phdr's") {
  ElfImage image = dyn_image();
  image.ehdr.e_phentsize = 12;
  CHECK_THAT(refusal(image), Catch::Contains("invalid e_phentsize 12 (expected 56)"));
}

TEST_CASE("ElfFile refuses a file without program headers") {
  ElfImage image = dyn_image();
  image.phnum = 0;
  CHECK_THAT(refusal(image), Catch::Contains("no loadable segments"));
}

TEST_CASE("ElfFile refuses a file without PT_LOAD") {
  ElfImage image = dyn_image();
  image.remove(PT_LOAD);
  CHECK_THAT(refusal(image), Catch::Contains("no loadable segments"));
}

TEST_CASE("ElfFile refuses more than 4096 program headers") {
  ElfImage image = dyn_image();
  image.phnum = 5000;
  CHECK_THAT(refusal(image), Catch::Contains("too many program headers (5000, at most 4096)"));
}

TEST_CASE("ElfFile refuses a program header table that lies past the end of the file") {
  ElfImage image = dyn_image();
  image.ehdr.e_phoff = 4096;
  image.size = 4100;
  CHECK_THAT(refusal(image),
             Catch::Contains("truncated program header table at offset 4096 (file is 4100 bytes)"));
}

TEST_CASE("ElfFile refuses a program header table that runs off the end of the file") {
  ElfImage image = dyn_image();
  image.ehdr.e_phoff = image.bytes().size() - sizeof(Elf64_Phdr);
  CHECK_THAT(refusal(image), Catch::Contains("truncated program header table at offset"));
}

TEST_CASE("ElfFile refuses a program header offset that wraps around") {
  ElfImage image = dyn_image();
  image.ehdr.e_phoff = UINT64_MAX - 8;
  CHECK_THAT(refusal(image),
             Catch::Contains("truncated program header table at offset 18446744073709551607"));
}

TEST_CASE("ElfFile refuses a PT_LOAD with more file bytes than memory") {
  ElfImage image = dyn_image();
  image.data().p_memsz = 0x8;
  CHECK_THAT(refusal(image), Catch::Contains("segment 3 has p_filesz 0x10 larger than p_memsz 0x8"));
}

TEST_CASE("ElfFile refuses a PT_LOAD whose file bytes run past the end of the file") {
  ElfImage image = dyn_image();
  image.size = image.bytes().size() - 1;  // 0x22f
  CHECK_THAT(refusal(image),
             Catch::Contains("truncated: segment 3 needs bytes up to 0x230, file is 0x22f bytes"));
}

TEST_CASE("ElfFile refuses a PT_LOAD whose file range wraps around") {
  ElfImage image = dyn_image();
  image.data().p_offset = 0xfffffffffffff220;
  image.data().p_filesz = 0x1000;
  image.data().p_memsz = 0x1000;
  CHECK_THAT(refusal(image), Catch::Contains("segment 3 file range overflows"));
}

TEST_CASE("ElfFile refuses a PT_LOAD whose offset and address differ within a page") {
  ElfImage image = dyn_image();
  image.data().p_vaddr += 8;
  CHECK_THAT(refusal(image),
             Catch::Contains("segment 3 p_offset 0x220 and p_vaddr 0x1228 are not congruent "
                             "modulo 0x1000"));
}

TEST_CASE("ElfFile refuses a PT_LOAD whose offset and address differ modulo its large p_align") {
  ElfImage image = dyn_image();
  image.data().p_align = 0x200000;  // p_vaddr is p_offset + 0x1000
  CHECK_THAT(refusal(image),
             Catch::Contains("segment 3 p_offset 0x220 and p_vaddr 0x1220 are not congruent "
                             "modulo 0x200000"));
}

TEST_CASE("ElfFile refuses a PT_LOAD that ends beyond the user address space") {
  ElfImage image = dyn_image();
  image.data().p_vaddr = 0x7ffffffff220;
  image.data().p_memsz = 0x1000;
  CHECK_THAT(refusal(image),
             Catch::Contains("segment 3 0x7ffffffff220-0x800000000220 is beyond the user address "
                             "space (0x800000000000)"));
}

TEST_CASE("ElfFile refuses a PT_LOAD whose address range wraps around") {
  ElfImage image = dyn_image();
  image.data().p_vaddr = 0xfffffffffffff220;
  image.data().p_memsz = 0x1000;
  CHECK_THAT(refusal(image), Catch::Contains("segment 3 address range overflows (p_vaddr "
                                             "0xfffffffffffff220, p_memsz 0x1000)"));
}

TEST_CASE("ElfFile refuses overlapping PT_LOAD segments") {
  ElfImage image = dyn_image();
  image.text().p_memsz = 0x1300;
  CHECK_THAT(refusal(image),
             Catch::Contains("segment 3 (0x1220-0x1320) overlaps segment 2 (0x0-0x1300)"));
}

TEST_CASE("ElfFile refuses PT_LOAD segments out of ascending address order") {
  ElfImage image = dyn_image();
  std::swap(image.phdrs[2], image.phdrs[3]);
  CHECK_THAT(refusal(image),
             Catch::Contains("PT_LOAD segments are not in ascending order (segment 3 at 0x0 "
                             "follows segment 2 at 0x1220)"));
}

TEST_CASE("ElfFile refuses a PT_INTERP outside the file") {
  ElfImage image = dyn_image();
  SECTION("past the end") { image.segment(PT_INTERP).p_offset = 0x1000; }
  SECTION("running off the end") { image.segment(PT_INTERP).p_filesz = 0x1000; }
  SECTION("wrapping around") { image.segment(PT_INTERP).p_offset = UINT64_MAX; }
  CHECK_THAT(refusal(image), Catch::Contains("PT_INTERP at offset") &&
                                 Catch::Contains("is outside the file (0x230 bytes)"));
}

TEST_CASE("ElfFile refuses an empty PT_INTERP") {
  ElfImage image = dyn_image();
  SECTION("of no bytes") { image.segment(PT_INTERP).p_filesz = 0; }
  SECTION("holding only a NUL") { image.segment(PT_INTERP).p_offset = kPayloadOffset - 1; }
  CHECK_THAT(refusal(image), Catch::Contains("empty PT_INTERP"));
}

TEST_CASE("ElfFile refuses a PT_INTERP that is not NUL-terminated within p_filesz") {
  ElfImage image = dyn_image();
  image.segment(PT_INTERP).p_filesz = std::strlen(kInterpreter);
  CHECK_THAT(refusal(image), Catch::Contains("PT_INTERP is not NUL-terminated"));
}

TEST_CASE("ElfFile refuses an interpreter path longer than PATH_MAX") {
  ElfImage image = dyn_image("/" + std::string(4095, 'x'));
  CHECK_THAT(refusal(image), Catch::Contains("PT_INTERP path is 4096 bytes long (at most 4095)"));

  ElfImage longest = dyn_image("/" + std::string(4094, 'x'));
  CHECK(longest.parse().has_value());
}

TEST_CASE("ElfFile refuses two PT_INTERPs") {
  ElfImage image = dyn_image();
  image.phdrs.push_back(image.segment(PT_INTERP));
  CHECK_THAT(refusal(image), Catch::Contains("more than one PT_INTERP"));
}

// --- Headers ld.so acts on stay inside the object (issue 14, item 7) ----------------------------
// ld.so mprotects PT_GNU_RELRO, copies PT_TLS's init image, writes DT_DEBUG into PT_DYNAMIC and
// reads the notes at bias + p_vaddr. In a shared space an address outside the object's span
// (0x0-0x2000 in dyn_image) is the daemon's or a sibling's memory.

/// dyn_image with one more program header, of `type`, at [vaddr, vaddr + memsz) (file bytes from
/// the text segment, so only the address can be wrong).
ElfImage image_with(uint32_t type, uint64_t vaddr, uint64_t memsz, uint64_t filesz = 0, uint64_t align = 8) {
  ElfImage image = dyn_image();
  image.phdrs.push_back(program_header(type, PF_R, vaddr, vaddr, filesz, memsz, align));
  return image;
}

TEST_CASE("ElfFile accepts the headers ld.so acts on when they lie inside the object") {
  ElfImage image = dyn_image();
  image.phdrs.push_back(program_header(PT_DYNAMIC, PF_R | PF_W, 0x220, 0x1220, 0x10, 0x10, 8));
  image.phdrs.push_back(program_header(PT_GNU_RELRO, PF_R, 0x220, 0x1220, 0x10, 0xde0, 1));
  image.phdrs.push_back(program_header(PT_TLS, PF_R, 0x220, 0x1220, 0x8, 0x100000, 64));  // a large .tbss
  Result<ElfFile> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->load_span().end == 0x2000);
}

TEST_CASE("ElfFile refuses a PT_GNU_RELRO outside the object, which ld.so would mprotect") {
  SECTION("running past its end into whatever follows") {
    ElfImage image = image_with(PT_GNU_RELRO, 0x1220, 0x100000000);
    CHECK(refusal(image) == "PT_GNU_RELRO (program header 5) 0x1220-0x100001220 is outside the object's "
                            "loadable range 0x0-0x2000");
  }
  SECTION("far from it") {
    ElfImage image = image_with(PT_GNU_RELRO, 0x7f0000000000, 0x1000);
    CHECK_THAT(refusal(image), Catch::Contains("PT_GNU_RELRO") && Catch::Contains("is outside the object's"));
  }
  SECTION("below a non-PIE's first segment") {
    ElfImage image = exec_image();
    image.phdrs.push_back(program_header(PT_GNU_RELRO, PF_R, 0, 0x1000, 0, 0x1000, 1));
    CHECK(refusal(image) == "PT_GNU_RELRO (program header 2) 0x1000-0x2000 is outside the object's loadable "
                            "range 0x400000-0x402000");
  }
  SECTION("wrapping around") {
    ElfImage image = image_with(PT_GNU_RELRO, 0x1000, UINT64_MAX - 0x10);
    CHECK_THAT(refusal(image), Catch::Contains("PT_GNU_RELRO (program header 5) address range overflows"));
  }
}

TEST_CASE("ElfFile refuses PT_DYNAMIC, PT_NOTE, PT_GNU_PROPERTY and PT_GNU_EH_FRAME outside the object") {
  const auto [type, name] = GENERATE(table<uint32_t, std::string>({{PT_DYNAMIC, "PT_DYNAMIC"},
                                                                    {PT_NOTE, "PT_NOTE"},
                                                                    {PT_GNU_PROPERTY, "PT_GNU_PROPERTY"},
                                                                    {PT_GNU_EH_FRAME, "PT_GNU_EH_FRAME"}}));
  ElfImage inside = image_with(type, 0x1f00, 0x100);
  CHECK(inside.parse().has_value());
  ElfImage past = image_with(type, 0x1f00, 0x101);
  CHECK(refusal(past) == name + " (program header 5) 0x1f00-0x2001 is outside the object's loadable range 0x0-0x2000");
  ElfImage away = image_with(type, 0x10000, 0x10);
  CHECK_THAT(refusal(away), Catch::StartsWith(name + " (program header 5) 0x10000-0x10010 is outside"));
}

TEST_CASE("ElfFile refuses a PT_INTERP whose address is outside the object") {
  ElfImage image = dyn_image();
  image.segment(PT_INTERP).p_vaddr = 0x40000;
  CHECK_THAT(refusal(image), Catch::StartsWith("PT_INTERP (program header 1) 0x40000-") &&
                                 Catch::Contains("is outside the object's loadable range"));
}

TEST_CASE("ElfFile refuses a PT_TLS ld.so could not place") {
  SECTION("an init image outside the object") {
    ElfImage image = image_with(PT_TLS, 0x1ff8, 0x100, 0x10);
    CHECK_THAT(refusal(image), Catch::StartsWith("PT_TLS (program header 5) 0x1ff8-0x2008 is outside"));
  }
  SECTION("more init bytes than the block holds") {
    ElfImage image = image_with(PT_TLS, 0x1220, 0x8, 0x10);
    CHECK(refusal(image) == "PT_TLS (program header 5) has p_filesz 0x10 larger than p_memsz 0x8");
  }
  SECTION("a block whose size would wrap ld.so's sums") {
    ElfImage image = image_with(PT_TLS, 0x1220, UINT64_MAX - 0xfff, 0x10);
    CHECK_THAT(refusal(image), Catch::Contains("PT_TLS (program header 5) p_memsz") && Catch::Contains("is too large"));
  }
  SECTION("an alignment that is not a power of two") {
    ElfImage image = image_with(PT_TLS, 0x1220, 0x100, 0x10, 24);
    CHECK_THAT(refusal(image), Catch::Contains("p_align 0x18 is not a power of two"));
  }
  SECTION("an alignment beyond any block") {
    ElfImage image = image_with(PT_TLS, 0x1220, 0x100, 0x10, uint64_t{1} << 62);
    CHECK_THAT(refusal(image), Catch::Contains("is not a power of two up to"));
  }
}

TEST_CASE("ElfFile refuses a PT_PHDR that no PT_LOAD maps from the file") {
  ElfImage image = dyn_image();
  SECTION("outside every segment") { image.segment(PT_PHDR).p_vaddr = 0x5000; }
  SECTION("in the bss") { image.segment(PT_PHDR).p_vaddr = 0x1230; }
  CHECK_THAT(refusal(image), Catch::Contains("is not in a loadable segment"));
}

TEST_CASE("ElfFile refuses a program header table outside every PT_LOAD when there is no PT_PHDR") {
  ElfImage image = exec_image();
  image.text().p_offset = kPayloadOffset;
  image.text().p_vaddr = 0x400000 + kPayloadOffset;
  image.text().p_filesz = 0x20;
  image.text().p_memsz = 0x20;
  CHECK_THAT(refusal(image), Catch::Contains("program header table is not in a loadable segment"));
}

TEST_CASE("ElfFile error messages are one plain lower-case line without a trailing period") {
  ElfImage image = dyn_image();
  image.ehdr.e_phentsize = 12;
  const std::string message = refusal(image);
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.back() != '.');
  CHECK(!std::isupper(static_cast<unsigned char>(message.front())));
}

// --- It never reads outside the bytes ----------------------------------------------------------
// Each input gets its own exactly-sized heap block, so AddressSanitizer catches any overread.

TEST_CASE("ElfFile refuses every strict prefix of a valid image") {
  ElfImage image = dyn_image();
  const std::vector<std::byte> whole = image.bytes();
  REQUIRE(ElfFile::parse(whole, kElfMachine).has_value());

  for (size_t length = 0; length < whole.size(); ++length) {
    const std::vector<std::byte> prefix(whole.begin(), whole.begin() + length);
    Result<ElfFile> sut = ElfFile::parse(prefix, kElfMachine);
    INFO("prefix of " << length << " bytes");
    CHECK_FALSE(sut.has_value());
  }
}

TEST_CASE("ElfFile survives any single corrupted byte") {
  const std::vector<std::byte> whole = dyn_image().bytes();
  size_t accepted = 0;
  for (size_t offset = 0; offset < whole.size(); ++offset) {
    for (std::byte value : {std::byte{0x00}, std::byte{0x80}, std::byte{0xff}}) {
      std::vector<std::byte> corrupted = whole;
      corrupted[offset] = value;
      if (ElfFile::parse(corrupted, kElfMachine).has_value()) ++accepted;
    }
  }
  // Padding, the payload and fields parse() does not judge may take any value.
  CHECK(accepted > 0);
}

TEST_CASE("machine_name names the architectures users know") {
  CHECK(machine_name(EM_X86_64) == "x86_64");
  CHECK(machine_name(EM_AARCH64) == "aarch64");
  CHECK(machine_name(EM_386) == "i386");
  CHECK(machine_name(EM_ARM) == "arm");
  CHECK(machine_name(EM_RISCV) == "riscv");
  CHECK(machine_name(EM_PPC64) == "ppc64");
  CHECK(machine_name(EM_S390) == "s390x");
  CHECK(machine_name(0x1234) == "machine 4660");
  CHECK(machine_name(kElfMachine) == tproc::arch::kName);
}
