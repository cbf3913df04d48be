#pragma once
// ELF files the tests craft or patch byte by byte, to feed `tproc run` the bad inputs the issue
// lists (a 32-bit ELF, another architecture's ELF, a missing interpreter) and to check what a
// built program is (ET_EXEC or ET_DYN). All helpers throw std::runtime_error on malformed input.

#include <elf.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace tproc::e2e {

/// A complete, runnable-looking 32-bit x86 (EM_386) ET_DYN program: header, one PT_LOAD, code
/// that calls exit(0). Only its class makes it wrong for an x86_64 space.
std::string craft_elf32_i386();

/// A complete, runnable-looking 64-bit RISC-V (EM_RISCV) ET_DYN program: header, one PT_LOAD,
/// code that calls exit(0). Only its machine makes it wrong, for a space on x86_64 and on aarch64
/// alike (another architecture's ELF must be foreign on every host the suite runs on).
std::string craft_elf64_riscv();

/// The e_type (ET_EXEC, ET_DYN...) of a 64-bit ELF image.
uint16_t elf_type(std::string_view image);

/// The PT_INTERP path of a 64-bit ELF image (without its NUL); empty when it has none.
std::string elf_interpreter(std::string_view image);

/// A copy of `image` whose PT_INTERP names `path` instead; `path` must be exactly as long as
/// the interpreter path it replaces, so no offset in the file moves.
std::string with_interpreter(std::string image, std::string_view path);

/// A copy of `image` whose first program header of `type` (PT_GNU_RELRO, PT_TLS...) `edit` has
/// changed; throws if there is none.
std::string with_program_header(std::string image, uint32_t type, const std::function<void(Elf64_Phdr&)>& edit);

}  // namespace tproc::e2e
