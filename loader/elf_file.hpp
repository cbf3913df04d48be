#pragma once
// ElfFile: a read-only, bounds-checked view over the bytes of an ELF64 executable.
//
// Invariant: an ElfFile that exists has a valid header for `machine`, a program header table that
// lies inside the bytes, PT_LOAD segments whose file ranges lie inside the bytes and whose layout
// can be mapped (filesz <= memsz, offset and vaddr congruent modulo the page size, no overflow),
// a NUL-terminated PT_INTERP inside the bytes if there is one, and every header ld.so acts on at
// bias + p_vaddr (PT_GNU_RELRO, PT_TLS's init image, PT_DYNAMIC, PT_INTERP, PT_NOTE,
// PT_GNU_PROPERTY, PT_GNU_EH_FRAME; PT_PHDR inside a PT_LOAD's file bytes) inside load_span(): in a
// shared space anything outside it is another program's or the daemon's memory. The bytes are not
// owned: they must outlive the ElfFile.

#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::loader {

/// The page-aligned address range [begin, end) that an object's PT_LOAD segments cover.
struct LoadSpan {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - begin; }
};

/// A validated view of an ELF64 executable or shared object (ET_EXEC or ET_DYN).
class ElfFile {
 public:
  /// Validates `bytes` (the whole file) as an ELF64 object for `machine` (the host by default).
  /// Errors name the reason and the offending values, e.g. "32-bit ELF (ELFCLASS32)",
  /// "aarch64 binary on x86_64", "truncated program header table at offset 4096".
  static Result<ElfFile> parse(std::span<const std::byte> bytes, uint16_t machine);

  uint16_t type() const { return header_.e_type; }      ///< ET_EXEC or ET_DYN
  bool position_independent() const { return type() == ET_DYN; }
  uint64_t entry() const { return header_.e_entry; }     ///< unrelocated entry point
  const Elf64_Ehdr& header() const { return header_; }

  /// Program headers, copied out so they are aligned whatever the bytes' alignment.
  std::span<const Elf64_Phdr> program_headers() const { return program_headers_; }

  /// The PT_INTERP path, if any (without its NUL).
  std::optional<std::string_view> interpreter() const { return interpreter_; }

  /// Whether the program asks for an executable stack (PT_GNU_STACK, or the arch default).
  bool executable_stack() const { return executable_stack_; }

  /// The page-aligned unrelocated range covered by PT_LOAD segments.
  LoadSpan load_span() const { return load_span_; }

  /// The unrelocated address of the program header table in memory (PT_PHDR, or the PT_LOAD
  /// that covers e_phoff). Needed for AT_PHDR.
  uint64_t phdr_address() const { return phdr_address_; }

  /// The bytes this view was parsed from.
  std::span<const std::byte> bytes() const { return bytes_; }

 private:
  ElfFile() = default;

  std::span<const std::byte> bytes_;
  Elf64_Ehdr header_{};
  std::vector<Elf64_Phdr> program_headers_;
  std::optional<std::string_view> interpreter_;
  bool executable_stack_ = false;
  LoadSpan load_span_;
  uint64_t phdr_address_ = 0;
};

/// The name users know an e_machine by ("x86_64", "aarch64", "i386"...), or "machine N".
std::string machine_name(uint16_t machine);

}  // namespace tproc::loader
