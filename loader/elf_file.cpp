#include "loader/elf_file.hpp"

#include <charconv>
#include <cstring>
#include <string>

#include "common/hex.hpp"
#include "arch_traits.hpp"

// Validation runs top to bottom: identification, header, program header table, then each program
// header. Every read from `bytes` is preceded by a check that the range lies inside it, written as
// `offset <= size && length <= size - offset` so that no addition can wrap. Headers are memcpy'd
// out because a file's bytes carry no alignment guarantee.

namespace tproc::loader {
namespace {

// The smallest page size of the hosts we run on; a layout valid for it maps on any of them.
constexpr uint64_t kPageSize = 4096;
// The end of the lowest user address space we run on (x86_64 with 4-level paging).
constexpr uint64_t kUserSpaceEnd = 0x0000800000000000;
// More program headers than any linker emits; bounds the table we copy out.
constexpr uint16_t kMaxProgramHeaders = 4096;
// PATH_MAX minus the NUL: the kernel cannot open a longer interpreter path.
constexpr uint64_t kMaxInterpreterLength = 4095;
// Bounds on a PT_TLS block and its alignment, far above what any program uses (glibc's static TLS
// surplus is a few KiB): ld.so sizes the block from them, and a sum that wraps would have it copy
// the init image and zero the rest outside the block it allocated.
constexpr uint64_t kMaxTlsSize = uint64_t{1} << 30;
constexpr uint64_t kMaxTlsAlignment = uint64_t{1} << 30;

std::string dec(uint64_t value) { return std::to_string(value); }

/// Whether [offset, offset + length) lies inside a buffer of `size` bytes.
bool in_bounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }

// Callers guarantee value + alignment - 1 does not wrap (value <= kUserSpaceEnd).
uint64_t align_up(uint64_t value, uint64_t alignment) {
  return align_down(value + alignment - 1, alignment);
}

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

std::string type_name(uint16_t type) {
  switch (type) {
    case ET_NONE: return "ET_NONE";
    case ET_REL: return "ET_REL";
    case ET_EXEC: return "ET_EXEC";
    case ET_DYN: return "ET_DYN";
    case ET_CORE: return "ET_CORE";
    default: return hex(type);
  }
}

std::string segment_range(const Elf64_Phdr& phdr) {
  return hex(phdr.p_vaddr) + "-" + hex(phdr.p_vaddr + phdr.p_memsz);
}

Result<void> check_identification(std::span<const std::byte> bytes) {
  // A short script is better told "not an ELF file" than "too small".
  if (bytes.size() >= SELFMAG && std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return Error("not an ELF file (bad magic)");
  }
  if (bytes.size() < sizeof(Elf64_Ehdr)) {
    return Error("file too small for an ELF header (" + dec(bytes.size()) + " bytes)");
  }
  const auto ident = [&](size_t index) { return static_cast<unsigned char>(bytes[index]); };
  if (ident(EI_CLASS) == ELFCLASS32) return Error("32-bit ELF (ELFCLASS32) is not supported");
  if (ident(EI_CLASS) != ELFCLASS64) return Error("invalid ELF class " + dec(ident(EI_CLASS)));
  if (ident(EI_DATA) == ELFDATA2MSB) {
    return Error("big-endian ELF (ELFDATA2MSB) is not supported");
  }
  if (ident(EI_DATA) != ELFDATA2LSB) {
    return Error("invalid ELF data encoding " + dec(ident(EI_DATA)));
  }
  if (ident(EI_VERSION) != EV_CURRENT) {
    return Error("invalid ELF version " + dec(ident(EI_VERSION)) + " (expected " +
                 dec(EV_CURRENT) + ")");
  }
  return ok();
}

std::string header_name(uint32_t type) {
  switch (type) {
    case PT_DYNAMIC: return "PT_DYNAMIC";
    case PT_INTERP: return "PT_INTERP";
    case PT_NOTE: return "PT_NOTE";
    case PT_TLS: return "PT_TLS";
    case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
    case PT_GNU_RELRO: return "PT_GNU_RELRO";
    case PT_GNU_PROPERTY: return "PT_GNU_PROPERTY";
    default: return "program header type " + hex(type);
  }
}

// A header that ld.so acts on at bias + p_vaddr must describe memory of this object: in a shared
// space, an address outside the object's span is someone else's memory (the daemon's heap, a
// sibling), and ld.so would mprotect it (PT_GNU_RELRO), write to it (DT_DEBUG in PT_DYNAMIC, the
// TLS init image's copy) or read it as its own. `size` is the part ld.so touches.
Result<void> check_in_span(const Elf64_Phdr& phdr, size_t index, uint64_t size, const LoadSpan& span) {
  const std::string what = header_name(phdr.p_type) + " (program header " + dec(index) + ")";
  if (size > UINT64_MAX - phdr.p_vaddr) {
    return Error(what + " address range overflows (p_vaddr " + hex(phdr.p_vaddr) + ", size " + hex(size) + ")");
  }
  if (phdr.p_vaddr < span.begin || phdr.p_vaddr + size > span.end) {
    return Error(what + " " + hex(phdr.p_vaddr) + "-" + hex(phdr.p_vaddr + size) +
                 " is outside the object's loadable range " + hex(span.begin) + "-" + hex(span.end));
  }
  return ok();
}

// The headers ld.so (and, for a directly executed file, the kernel) act on besides PT_LOAD and
// PT_PHDR, each checked against the span the PT_LOADs cover. PT_GNU_STACK carries only flags.
Result<void> check_acted_on(const Elf64_Phdr& phdr, size_t index, const LoadSpan& span) {
  switch (phdr.p_type) {
    case PT_GNU_RELRO:
    case PT_DYNAMIC:
    case PT_NOTE:
    case PT_GNU_PROPERTY:
    case PT_GNU_EH_FRAME:
      return check_in_span(phdr, index, phdr.p_memsz, span);
    case PT_INTERP:
      return check_in_span(phdr, index, phdr.p_filesz, span);
    case PT_TLS: {
      const std::string what = "PT_TLS (program header " + dec(index) + ")";
      if (phdr.p_filesz > phdr.p_memsz) {
        return Error(what + " has p_filesz " + hex(phdr.p_filesz) + " larger than p_memsz " + hex(phdr.p_memsz));
      }
      if (phdr.p_memsz > kMaxTlsSize) {
        return Error(what + " p_memsz " + hex(phdr.p_memsz) + " is too large (at most " + hex(kMaxTlsSize) + ")");
      }
      if (phdr.p_align > 1 && (!is_power_of_two(phdr.p_align) || phdr.p_align > kMaxTlsAlignment)) {
        return Error(what + " p_align " + hex(phdr.p_align) + " is not a power of two up to " +
                     hex(kMaxTlsAlignment));
      }
      // The init image is what ld.so copies from the object; the rest of the block is zeroed in
      // memory ld.so allocates, so it may reach past the span (a large .tbss).
      return check_in_span(phdr, index, phdr.p_filesz, span);
    }
    default:
      return ok();
  }
}

Result<void> check_header(const Elf64_Ehdr& header, uint16_t machine) {
  if (header.e_machine != machine) {
    return Error(machine_name(header.e_machine) + " binary on " + machine_name(machine));
  }
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN) {
    return Error("not an executable or shared object (e_type " + type_name(header.e_type) + ")");
  }
  if (header.e_phnum == 0) return Error("no loadable segments");
  // Also refuses PN_XNUM, which moves the real count into section header 0: no executable needs it.
  if (header.e_phnum > kMaxProgramHeaders) {
    return Error("too many program headers (" + dec(header.e_phnum) + ", at most " +
                 dec(kMaxProgramHeaders) + ")");
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr)) {
    return Error("invalid e_phentsize " + dec(header.e_phentsize) + " (expected " +
                 dec(sizeof(Elf64_Phdr)) + ")");
  }
  return ok();
}

// A PT_LOAD must be mappable on its own: file range inside the file, mmap-compatible offset, and
// an address range inside user space.
Result<void> check_load_segment(const Elf64_Phdr& phdr, size_t index, uint64_t file_size) {
  const std::string segment = "segment " + dec(index);
  if (phdr.p_filesz > phdr.p_memsz) {
    return Error(segment + " has p_filesz " + hex(phdr.p_filesz) + " larger than p_memsz " +
                 hex(phdr.p_memsz));
  }
  if (phdr.p_filesz > UINT64_MAX - phdr.p_offset) {
    return Error(segment + " file range overflows (p_offset " + hex(phdr.p_offset) +
                 ", p_filesz " + hex(phdr.p_filesz) + ")");
  }
  if (phdr.p_offset + phdr.p_filesz > file_size) {
    return Error("truncated: " + segment + " needs bytes up to " +
                 hex(phdr.p_offset + phdr.p_filesz) + ", file is " + hex(file_size) + " bytes");
  }
  // mmap maps whole pages, so the file offset and address must agree below the page size; glibc's
  // ld.so also insists on it modulo a larger power-of-two p_align.
  uint64_t alignment = kPageSize;
  if (phdr.p_align > kPageSize && is_power_of_two(phdr.p_align)) alignment = phdr.p_align;
  if (((phdr.p_vaddr - phdr.p_offset) & (alignment - 1)) != 0) {
    return Error(segment + " p_offset " + hex(phdr.p_offset) + " and p_vaddr " +
                 hex(phdr.p_vaddr) + " are not congruent modulo " + hex(alignment));
  }
  if (phdr.p_memsz > UINT64_MAX - phdr.p_vaddr) {
    return Error(segment + " address range overflows (p_vaddr " + hex(phdr.p_vaddr) +
                 ", p_memsz " + hex(phdr.p_memsz) + ")");
  }
  if (phdr.p_vaddr + phdr.p_memsz > kUserSpaceEnd) {
    return Error(segment + " " + segment_range(phdr) + " is beyond the user address space (" +
                 hex(kUserSpaceEnd) + ")");
  }
  return ok();
}

// Returns the interpreter path without its NUL.
Result<std::string_view> read_interpreter(const Elf64_Phdr& phdr,
                                          std::span<const std::byte> bytes) {
  if (!in_bounds(phdr.p_offset, phdr.p_filesz, bytes.size())) {
    return Error("PT_INTERP at offset " + hex(phdr.p_offset) + " size " + hex(phdr.p_filesz) +
                 " is outside the file (" + hex(bytes.size()) + " bytes)");
  }
  if (phdr.p_filesz == 0) return Error("empty PT_INTERP");
  const auto* text = reinterpret_cast<const char*>(bytes.data()) + phdr.p_offset;
  const void* nul = std::memchr(text, '\0', phdr.p_filesz);
  if (nul == nullptr) return Error("PT_INTERP is not NUL-terminated");
  const auto length = static_cast<uint64_t>(static_cast<const char*>(nul) - text);
  if (length == 0) return Error("empty PT_INTERP");
  if (length > kMaxInterpreterLength) {
    return Error("PT_INTERP path is " + dec(length) + " bytes long (at most " +
                 dec(kMaxInterpreterLength) + ")");
  }
  return std::string_view(text, length);
}

}  // namespace

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "i386";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    default: return "machine " + dec(machine);
  }
}

Result<ElfFile> ElfFile::parse(std::span<const std::byte> bytes, uint16_t machine) {
  ElfFile elf;
  elf.bytes_ = bytes;

  // Stage 1: the header. After it, e_phoff/e_phnum/e_phentsize describe a table we can size.
  TPROC_TRY(check_identification(bytes));
  std::memcpy(&elf.header_, bytes.data(), sizeof elf.header_);
  const Elf64_Ehdr& header = elf.header_;
  TPROC_TRY(check_header(header, machine));

  // Stage 2: the program header table lies inside the bytes (its size cannot overflow: at most
  // 4096 * 56 bytes).
  const uint64_t table_size = uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
  if (!in_bounds(header.e_phoff, table_size, bytes.size())) {
    return Error("truncated program header table at offset " + dec(header.e_phoff) +
                 " (file is " + dec(bytes.size()) + " bytes)");
  }
  elf.program_headers_.resize(header.e_phnum);
  std::memcpy(elf.program_headers_.data(), bytes.data() + header.e_phoff, table_size);

  // Stage 3: each program header. PT_LOADs are checked one by one and against their predecessor:
  // ascending and disjoint, as the ELF spec requires, so the span is [first, last) and no segment
  // mapping clobbers another.
  const Elf64_Phdr* previous_load = nullptr;
  size_t previous_index = 0;
  const Elf64_Phdr* phdr_segment = nullptr;
  std::optional<bool> stack_flag;
  for (size_t index = 0; index < elf.program_headers_.size(); ++index) {
    const Elf64_Phdr& phdr = elf.program_headers_[index];
    switch (phdr.p_type) {
      case PT_LOAD: {
        TPROC_TRY(check_load_segment(phdr, index, bytes.size()));
        if (previous_load != nullptr) {
          if (phdr.p_vaddr < previous_load->p_vaddr) {
            return Error("PT_LOAD segments are not in ascending order (segment " + dec(index) +
                         " at " + hex(phdr.p_vaddr) + " follows segment " + dec(previous_index) +
                         " at " + hex(previous_load->p_vaddr) + ")");
          }
          if (phdr.p_vaddr < previous_load->p_vaddr + previous_load->p_memsz) {
            return Error("segment " + dec(index) + " (" + segment_range(phdr) +
                         ") overlaps segment " + dec(previous_index) + " (" +
                         segment_range(*previous_load) + ")");
          }
        } else {
          elf.load_span_.begin = align_down(phdr.p_vaddr, kPageSize);
        }
        elf.load_span_.end = align_up(phdr.p_vaddr + phdr.p_memsz, kPageSize);
        previous_load = &phdr;
        previous_index = index;
        break;
      }
      case PT_INTERP:
        // Two interpreters would leave it to chance which one runs the program.
        if (elf.interpreter_) return Error("more than one PT_INTERP");
        elf.interpreter_ = TPROC_TRY(read_interpreter(phdr, bytes));
        break;
      case PT_PHDR:
        if (phdr_segment == nullptr) phdr_segment = &phdr;
        break;
      case PT_GNU_STACK:
        // The last one wins, as in the kernel and glibc's ld.so.
        stack_flag = (phdr.p_flags & PF_X) != 0;
        break;
      default:
        break;
    }
  }
  if (previous_load == nullptr) return Error("no loadable segments");
  elf.executable_stack_ = stack_flag.value_or(arch::kStackExecutableByDefault);

  // Stage 4: where the table is in memory (AT_PHDR). It must be mapped from the file, or the
  // interpreter would read garbage or fault when it walks the program headers.
  if (phdr_segment != nullptr) {
    const uint64_t begin = phdr_segment->p_vaddr;
    bool mapped = false;
    for (const Elf64_Phdr& load : elf.program_headers_) {
      if (load.p_type != PT_LOAD) continue;
      // load.p_vaddr + load.p_filesz cannot wrap: checked above.
      if (begin >= load.p_vaddr && in_bounds(begin - load.p_vaddr, table_size, load.p_filesz)) {
        mapped = true;
        break;
      }
    }
    if (!mapped) {
      return Error("PT_PHDR at " + hex(begin) + " (" + hex(table_size) +
                   " bytes) is not in a loadable segment");
    }
    elf.phdr_address_ = begin;
  } else {
    bool found = false;
    for (const Elf64_Phdr& load : elf.program_headers_) {
      if (load.p_type != PT_LOAD) continue;
      if (header.e_phoff >= load.p_offset &&
          in_bounds(header.e_phoff - load.p_offset, table_size, load.p_filesz)) {
        elf.phdr_address_ = load.p_vaddr + (header.e_phoff - load.p_offset);
        found = true;
        break;
      }
    }
    if (!found) return Error("program header table is not in a loadable segment");
  }

  // Stage 5: every other header ld.so acts on lies inside the span (check_acted_on).
  for (size_t index = 0; index < elf.program_headers_.size(); ++index) {
    TPROC_TRY(check_acted_on(elf.program_headers_[index], index, elf.load_span_));
  }

  return elf;
}

}  // namespace tproc::loader
