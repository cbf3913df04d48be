// Specification of ElfDynamic::parse: what it reads from real objects, and that every string it
// returns comes from inside the string table, or the object is refused with the reason.

#include "loader/elf_dynamic.hpp"

#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"

namespace {

using tproc::Result;
using tproc::arch::kElfMachine;
using tproc::loader::ElfDynamic;
using tproc::loader::ElfFile;

constexpr uint64_t kPhoff = sizeof(Elf64_Ehdr);
constexpr uint64_t kDynamicOffset = 0x200;
constexpr uint64_t kStringsOffset = 0x400;
// The one PT_LOAD maps the file at this address, so a test passes only if DT_STRTAB is translated.
constexpr uint64_t kBase = 0x10000;
constexpr uint64_t kBssSize = 0x1000;

// A shared object under construction: one PT_LOAD over the whole file (then bss), PT_DYNAMIC at
// 0x200 and the string table at 0x400, whatever the entries claim, so a test can make them lie.
struct DynImage {
  std::vector<Elf64_Dyn> entries;
  std::string strings = std::string(1, '\0');  // offset 0 is the empty string, as linkers do
  bool with_dynamic = true;
  bool second_dynamic = false;
  std::optional<uint64_t> dynamic_filesz;  // PT_DYNAMIC's p_filesz when it should lie
  std::optional<uint64_t> dynamic_offset;  // PT_DYNAMIC's p_offset when it should lie
  std::vector<std::byte> built;            // what parse() saw: ElfFile views it

  /// Adds `text` to the string table; returns its offset.
  uint64_t add_string(const std::string& text) {
    const uint64_t offset = strings.size();
    strings += text;
    strings += '\0';
    return offset;
  }

  void add(int64_t tag, uint64_t value) {
    Elf64_Dyn entry{};
    entry.d_tag = tag;
    entry.d_un.d_val = value;
    entries.push_back(entry);
  }

  /// DT_STRTAB and DT_STRSZ describing the table as it is, then DT_NULL.
  void finish() {
    add(DT_STRTAB, kBase + kStringsOffset);
    add(DT_STRSZ, strings.size());
    add(DT_NULL, 0);
  }

  std::vector<std::byte> bytes() const {
    const uint64_t dynamic_size = entries.size() * sizeof(Elf64_Dyn);
    REQUIRE(kDynamicOffset + dynamic_size <= kStringsOffset);
    std::vector<std::byte> out(kStringsOffset + strings.size());

    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = ET_DYN;
    header.e_machine = kElfMachine;
    header.e_version = EV_CURRENT;
    header.e_phoff = kPhoff;
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_phentsize = sizeof(Elf64_Phdr);

    std::vector<Elf64_Phdr> phdrs;
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = PF_R | PF_W;
    load.p_vaddr = kBase;
    load.p_filesz = out.size();
    load.p_memsz = out.size() + kBssSize;
    load.p_align = 0x1000;
    phdrs.push_back(load);
    if (with_dynamic) {
      Elf64_Phdr dynamic{};
      dynamic.p_type = PT_DYNAMIC;
      dynamic.p_flags = PF_R | PF_W;
      // The lies are in the file fields only: the memory range stays the object's own, which
      // ElfFile requires of every header ld.so acts on.
      dynamic.p_offset = dynamic_offset.value_or(kDynamicOffset);
      dynamic.p_vaddr = kBase + kDynamicOffset;
      dynamic.p_filesz = dynamic_filesz.value_or(dynamic_size);
      dynamic.p_memsz = dynamic_size;
      dynamic.p_align = 8;
      phdrs.push_back(dynamic);
      if (second_dynamic) phdrs.push_back(dynamic);
    }
    header.e_phnum = static_cast<uint16_t>(phdrs.size());

    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + kPhoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
    if (!entries.empty()) std::memcpy(out.data() + kDynamicOffset, entries.data(), dynamic_size);
    std::memcpy(out.data() + kStringsOffset, strings.data(), strings.size());
    return out;
  }

  Result<ElfDynamic> parse() {
    built = bytes();
    Result<ElfFile> elf = ElfFile::parse(built, kElfMachine);
    REQUIRE(elf.has_value());
    return ElfDynamic::parse(*elf);
  }
};

// needs libfoo.so.1 and libbar.so.2, is libself.so, with both search paths and NODEFLIB.
DynImage full_image() {
  DynImage image;
  const uint64_t foo = image.add_string("libfoo.so.1");
  const uint64_t bar = image.add_string("libbar.so.2");
  const uint64_t self = image.add_string("libself.so");
  const uint64_t rpath = image.add_string("/opt/old:$ORIGIN");
  const uint64_t runpath = image.add_string("$ORIGIN/../lib");
  image.add(DT_NEEDED, foo);
  image.add(DT_SONAME, self);
  image.add(DT_NEEDED, bar);
  image.add(DT_RPATH, rpath);
  image.add(DT_RUNPATH, runpath);
  image.add(DT_FLAGS_1, DF_1_NODEFLIB | DF_1_NOW);
  image.finish();
  return image;
}

std::string refusal(DynImage& image) {
  Result<ElfDynamic> result = image.parse();
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

// The hex form ElfDynamic's messages use.
std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

// --- Real objects --------------------------------------------------------------------------------

TEST_CASE("ElfDynamic lists libc.so.6 among the DT_NEEDED of /bin/ls") {
  const std::vector<std::byte> bytes = read_whole_file("/bin/ls");
  Result<ElfFile> elf = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(elf.has_value());
  Result<ElfDynamic> sut = ElfDynamic::parse(*elf);
  REQUIRE(sut.has_value());
  CHECK(sut->present());
  const std::vector<std::string>& needed = sut->needed();
  CHECK(std::find(needed.begin(), needed.end(), "libc.so.6") != needed.end());
  CHECK_FALSE(sut->soname().has_value());
}

TEST_CASE("ElfDynamic reads libc.so.6's DT_SONAME") {
  const std::string libc = std::string("/lib/") + tproc::arch::kMultiarch + "/libc.so.6";
  const std::vector<std::byte> bytes = read_whole_file(libc);
  Result<ElfFile> elf = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(elf.has_value());
  Result<ElfDynamic> sut = ElfDynamic::parse(*elf);
  REQUIRE(sut.has_value());
  REQUIRE(sut->soname().has_value());
  CHECK(*sut->soname() == "libc.so.6");
}

TEST_CASE("ElfDynamic reads the interpreter's SONAME and finds no DT_NEEDED in it") {
  const std::vector<std::byte> ls = read_whole_file("/bin/ls");
  Result<ElfFile> ls_elf = ElfFile::parse(ls, kElfMachine);
  REQUIRE(ls_elf.has_value());
  REQUIRE(ls_elf->interpreter().has_value());
  const std::vector<std::byte> bytes = read_whole_file(std::string(*ls_elf->interpreter()));
  Result<ElfFile> elf = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(elf.has_value());
  Result<ElfDynamic> sut = ElfDynamic::parse(*elf);
  REQUIRE(sut.has_value());
  REQUIRE(sut->soname().has_value());
  CHECK(sut->soname()->starts_with("ld-linux"));
  CHECK(sut->needed().empty());
}

// --- What it reads -------------------------------------------------------------------------------

TEST_CASE("ElfDynamic reads DT_NEEDED in order, DT_SONAME, DT_RPATH, DT_RUNPATH and DT_FLAGS_1") {
  DynImage image = full_image();
  Result<ElfDynamic> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->present());
  CHECK(sut->needed() == std::vector<std::string>{"libfoo.so.1", "libbar.so.2"});
  CHECK(sut->soname() == std::optional<std::string>("libself.so"));
  CHECK(sut->rpath() == std::optional<std::string>("/opt/old:$ORIGIN"));
  CHECK(sut->runpath() == std::optional<std::string>("$ORIGIN/../lib"));
  CHECK(sut->flags_1() == (DF_1_NODEFLIB | DF_1_NOW));
  CHECK(sut->nodeflib());
}

TEST_CASE("ElfDynamic owns its strings: they outlive the bytes") {
  std::optional<ElfDynamic> kept;
  {
    DynImage image = full_image();
    Result<ElfDynamic> sut = image.parse();
    REQUIRE(sut.has_value());
    kept.emplace(std::move(*sut));
  }
  CHECK(kept->needed().front() == "libfoo.so.1");
}

TEST_CASE("ElfDynamic of an object without PT_DYNAMIC (static) is empty") {
  DynImage image;
  image.with_dynamic = false;
  Result<ElfDynamic> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK_FALSE(sut->present());
  CHECK(sut->needed().empty());
  CHECK_FALSE(sut->soname().has_value());
  CHECK_FALSE(sut->rpath().has_value());
  CHECK_FALSE(sut->runpath().has_value());
  CHECK_FALSE(sut->nodeflib());
}

TEST_CASE("ElfDynamic needs no string table when no entry names a string") {
  DynImage image;
  image.add(DT_FLAGS_1, DF_1_NOW);
  image.add(DT_NULL, 0);
  Result<ElfDynamic> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->present());
  CHECK(sut->needed().empty());
  CHECK_FALSE(sut->nodeflib());
}

TEST_CASE("ElfDynamic stops at DT_NULL and ignores what follows it") {
  DynImage image;
  const uint64_t foo = image.add_string("libfoo.so.1");
  image.add(DT_NEEDED, foo);
  image.finish();
  image.add(DT_NEEDED, 0x9999);  // past DT_NULL: would be refused if read
  Result<ElfDynamic> sut = image.parse();
  REQUIRE(sut.has_value());
  CHECK(sut->needed() == std::vector<std::string>{"libfoo.so.1"});
}

// --- What it refuses ------------------------------------------------------------------------------

TEST_CASE("ElfDynamic refuses a DT_STRTAB outside every loadable segment") {
  DynImage image;
  image.add(DT_NEEDED, image.add_string("libfoo.so.1"));
  image.add(DT_STRTAB, 0x1234);
  image.add(DT_STRSZ, image.strings.size());
  image.add(DT_NULL, 0);
  CHECK(refusal(image) == "DT_STRTAB 0x1234 is not in a loadable segment");
}

TEST_CASE("ElfDynamic refuses a DT_STRTAB in the bss, which has no file bytes") {
  DynImage image;
  image.add(DT_NEEDED, image.add_string("libfoo.so.1"));
  const uint64_t in_bss = kBase + kStringsOffset + image.strings.size() + 0x10;
  image.add(DT_STRTAB, in_bss);
  image.add(DT_STRSZ, 1);
  image.add(DT_NULL, 0);
  CHECK(refusal(image) == "DT_STRTAB " + hex(in_bss) + " is not in a loadable segment");
}

TEST_CASE("ElfDynamic refuses a DT_STRSZ that runs past the file bytes of the segment") {
  DynImage image;
  image.add(DT_NEEDED, image.add_string("libfoo.so.1"));
  image.add(DT_STRTAB, kBase + kStringsOffset);
  image.add(DT_STRSZ, 0x100000);
  image.add(DT_NULL, 0);
  CHECK(refusal(image) ==
        "string table at 0x10400 (DT_STRSZ 0x100000) runs past the file bytes of its segment, "
        "which end at " + hex(kBase + kStringsOffset + image.strings.size()));
}

TEST_CASE("ElfDynamic refuses a DT_NEEDED offset outside the string table") {
  DynImage image;
  image.add(DT_NEEDED, 0x9999);
  image.strings.resize(0x300, 'x');
  image.strings.back() = '\0';
  image.finish();
  CHECK(refusal(image) == "DT_NEEDED offset 0x9999 outside the string table of 0x300 bytes");
}

TEST_CASE("ElfDynamic refuses a DT_NEEDED offset just past the end of DT_STRSZ") {
  DynImage image;
  image.add_string("libfoo.so.1");
  image.add(DT_NEEDED, image.strings.size());
  image.finish();
  CHECK(refusal(image) == "DT_NEEDED offset " + hex(image.strings.size()) +
                              " outside the string table of " + hex(image.strings.size()) +
                              " bytes");
}

TEST_CASE("ElfDynamic refuses a name whose NUL lies beyond DT_STRSZ") {
  DynImage image;
  const uint64_t self = image.add_string("libself.so");
  image.add(DT_SONAME, self);
  image.add(DT_STRTAB, kBase + kStringsOffset);
  image.add(DT_STRSZ, image.strings.size() - 1);  // cuts off the NUL
  image.add(DT_NULL, 0);
  CHECK(refusal(image) == "DT_SONAME at offset 0x1 is not NUL-terminated inside the string table "
                          "of " + hex(image.strings.size() - 1) + " bytes");
}

TEST_CASE("ElfDynamic refuses DT_RPATH and DT_RUNPATH offsets outside the string table") {
  for (const int64_t tag : {DT_RPATH, DT_RUNPATH}) {
    DynImage image;
    image.add(tag, 0x777);
    image.finish();
    const std::string name = tag == DT_RPATH ? "DT_RPATH" : "DT_RUNPATH";
    CHECK(refusal(image) == name + " offset 0x777 outside the string table of 0x1 bytes");
  }
}

TEST_CASE("ElfDynamic refuses strings without DT_STRTAB, and DT_STRTAB without DT_STRSZ") {
  DynImage no_table;
  no_table.add(DT_NEEDED, no_table.add_string("libfoo.so.1"));
  no_table.add(DT_NULL, 0);
  CHECK(refusal(no_table) == "the dynamic section names strings but has no DT_STRTAB");

  DynImage no_size;
  no_size.add(DT_NEEDED, no_size.add_string("libfoo.so.1"));
  no_size.add(DT_STRTAB, kBase + kStringsOffset);
  no_size.add(DT_NULL, 0);
  CHECK(refusal(no_size) == "DT_STRTAB 0x10400 without DT_STRSZ");
}

TEST_CASE("ElfDynamic refuses a dynamic section without DT_NULL") {
  DynImage image;
  image.add(DT_NEEDED, image.add_string("libfoo.so.1"));
  image.add(DT_STRTAB, kBase + kStringsOffset);
  image.add(DT_STRSZ, image.strings.size());
  CHECK(refusal(image) == "PT_DYNAMIC at offset 0x200 (0x30 bytes) has no DT_NULL terminator");
}

TEST_CASE("ElfDynamic refuses a PT_DYNAMIC that lies outside the file") {
  DynImage image = full_image();
  image.dynamic_offset = 0x100000;
  const std::string message = refusal(image);
  CHECK(message.starts_with("PT_DYNAMIC at offset 0x100000 ("));
  CHECK(message.find("is outside the file") != std::string::npos);

  DynImage too_long = full_image();
  too_long.dynamic_filesz = 0x100000;
  CHECK(refusal(too_long).find("is outside the file") != std::string::npos);
}

TEST_CASE("ElfDynamic refuses two PT_DYNAMIC segments") {
  DynImage image = full_image();
  image.second_dynamic = true;
  CHECK(refusal(image) == "more than one PT_DYNAMIC");
}

TEST_CASE("ElfDynamic never reads outside the bytes whatever the dynamic section holds") {
  // Every byte of the dynamic section and string table set to each of a few values: the parse
  // is accepted or refused, never a crash (run under AddressSanitizer to catch a stray read).
  const DynImage original = full_image();
  const std::vector<std::byte> bytes = original.bytes();
  for (size_t at = kDynamicOffset; at < bytes.size(); ++at) {
    for (const std::byte value : {std::byte{0x00}, std::byte{0x7f}, std::byte{0xff}}) {
      std::vector<std::byte> mutated = bytes;
      mutated[at] = value;
      Result<ElfFile> elf = ElfFile::parse(mutated, kElfMachine);
      REQUIRE(elf.has_value());
      Result<ElfDynamic> sut = ElfDynamic::parse(*elf);
      if (sut) {
        for (const std::string& name : sut->needed()) CHECK(name.size() < bytes.size());
      } else {
        CHECK_FALSE(sut.error().message().empty());
      }
    }
  }
}
