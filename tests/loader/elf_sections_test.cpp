// Specification of allocated_sections: the sections an object occupies memory with, named and at
// their link-time addresses, read from a real object (this test itself) and refused when the
// section tables are malformed.

#include "loader/elf_sections.hpp"

#include <sys/auxv.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "arch_traits.hpp"

namespace {

using tproc::arch::kElfMachine;
using tproc::loader::allocated_sections;
using tproc::loader::ElfFile;
using tproc::loader::ElfSection;

std::vector<std::byte> own_executable() {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

const ElfSection* find(const std::vector<ElfSection>& sections, const std::string& name) {
  auto at = std::find_if(sections.begin(), sections.end(), [&](const ElfSection& s) { return s.name == name; });
  return at == sections.end() ? nullptr : &*at;
}

__attribute__((noinline)) int a_function_in_text() { return 42; }
int a_variable_in_data = 7;

}  // namespace

TEST_CASE("allocated_sections of a real executable place its code in .text and its data in .data") {
  const std::vector<std::byte> bytes = own_executable();
  auto elf = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(elf);
  auto sections = allocated_sections(*elf);
  REQUIRE(sections);
  const ElfSection* text = find(*sections, ".text");
  const ElfSection* data = find(*sections, ".data");
  REQUIRE(text != nullptr);
  REQUIRE(data != nullptr);
  CHECK(find(*sections, ".symtab") == nullptr);  // not loaded: not allocated
  CHECK(find(*sections, ".comment") == nullptr);
  // Where the kernel loaded us, minus where the program headers are linked: our load bias.
  const uint64_t bias = getauxval(AT_PHDR) - elf->phdr_address();
  const auto code = reinterpret_cast<uintptr_t>(&a_function_in_text) - bias;
  const auto variable = reinterpret_cast<uintptr_t>(&a_variable_in_data) - bias;
  CHECK(text->address <= code);
  CHECK(code < text->address + text->size);
  CHECK(data->address <= variable);
  CHECK(variable < data->address + data->size);
  for (const ElfSection& section : *sections) {
    INFO(section.name);
    CHECK(elf->load_span().begin <= section.address);
    CHECK(section.address + section.size <= elf->load_span().end);
  }
}

TEST_CASE("allocated_sections reads none from an object without a section header table, and refuses a bad one") {
  std::vector<std::byte> bytes = own_executable();
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);

  SECTION("no table: none, the object is still loadable") {
    Elf64_Ehdr edited = header;
    edited.e_shoff = 0;
    edited.e_shnum = 0;
    std::memcpy(bytes.data(), &edited, sizeof edited);
    auto elf = ElfFile::parse(bytes, kElfMachine);
    REQUIRE(elf);
    auto sections = allocated_sections(*elf);
    REQUIRE(sections);
    CHECK(sections->empty());
  }
  SECTION("a table past the end of the file") {
    Elf64_Ehdr edited = header;
    edited.e_shoff = bytes.size() - 8;
    std::memcpy(bytes.data(), &edited, sizeof edited);
    auto elf = ElfFile::parse(bytes, kElfMachine);
    REQUIRE(elf);
    auto sections = allocated_sections(*elf);
    REQUIRE_FALSE(sections);
    CHECK_THAT(sections.error().describe(), Catch::Contains("runs past the end of the file") ||
                                                 Catch::Contains("names no valid section name table"));
  }
  SECTION("an entry size that is not Elf64_Shdr's") {
    Elf64_Ehdr edited = header;
    edited.e_shentsize = 12;
    std::memcpy(bytes.data(), &edited, sizeof edited);
    auto elf = ElfFile::parse(bytes, kElfMachine);
    REQUIRE(elf);
    auto sections = allocated_sections(*elf);
    REQUIRE_FALSE(sections);
    CHECK_THAT(sections.error().describe(), Catch::Contains("invalid e_shentsize 12"));
  }
}
