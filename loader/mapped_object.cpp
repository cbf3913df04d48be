#include "loader/mapped_object.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "arch_traits.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/file_image.hpp"

namespace tproc::loader {
namespace {

// This kernel's page size, in which mmap works: 4 KiB on x86_64; 4, 16 or 64 KiB on aarch64
// (Debian's arm64 kernel: 4; Apple silicon under Asahi, the Raspberry Pi 5, Debian's arm64-16k: 16;
// some server kernels: 64). ElfFile validates layouts for 4 KiB, the smallest.
const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
uint64_t page_down(uint64_t value) { return value & ~(kPage - 1); }
uint64_t page_up(uint64_t value) { return (value + kPage - 1) & ~(kPage - 1); }

/// The object's load span in whole pages of this kernel.
LoadSpan page_span(const ElfFile& elf) { return {page_down(elf.load_span().begin), page_up(elf.load_span().end)}; }

std::string hex_range(uint64_t begin, uint64_t end) {
  std::ostringstream text;
  text << std::hex << "0x" << begin << "-0x" << end;
  return text.str();
}

int protection_of(const Elf64_Phdr& segment) {
  int prot = 0;
  if (segment.p_flags & PF_R) prot |= PROT_READ;
  if (segment.p_flags & PF_W) prot |= PROT_WRITE;
  if (segment.p_flags & PF_X) prot |= PROT_EXEC;
  return prot;
}

/// The largest power-of-two p_align of the PT_LOAD segments, at least a page.
uint64_t max_alignment(const ElfFile& elf) {
  uint64_t align = kPage;
  for (const Elf64_Phdr& segment : elf.program_headers())
    if (segment.p_type == PT_LOAD && segment.p_align > align && (segment.p_align & (segment.p_align - 1)) == 0)
      align = segment.p_align;
  return std::min<uint64_t>(align, 1ULL << 30);
}

/// Reserves exactly [span.begin, span.end), failing if any part of it is taken.
Result<Mapping> reserve_span(const LoadSpan& span, const RangeHolder& holder) {
  void* area = ::mmap(reinterpret_cast<void*>(span.begin), span.size(), PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  const std::string range = hex_range(span.begin, span.end);
  if (area == MAP_FAILED) {
    const int error = errno;
    if (error != EEXIST) return Error("reserve " + range, error);
    std::optional<std::string> who = holder ? holder(span.begin, span.end) : std::nullopt;
    // Inherent to one address space (README, Limits): say what to do about it.
    return Error::explained("non-PIE executable needs " + range + ", which is held by " +
                                who.value_or("another mapping in the space") +
                                "; a non-PIE program runs only at its fixed address: run it in another space, or use a "
                                "PIE build of it (-fPIE -pie)",
                            EEXIST);
  }
  if (reinterpret_cast<uint64_t>(area) != span.begin) {  // kernels before 4.17 ignore the flag
    ::munmap(area, span.size());
    return Error::explained("non-PIE executable needs " + range + ", which is taken", EEXIST);
  }
  return Mapping(area, span.size());
}

}  // namespace

Result<Mapping> reserve_fixed_image(const UniqueFd& fd, const RangeHolder& holder) {
  const FileImage image = TPROC_TRY(FileImage::read_headers(fd.get()));
  ElfFile elf = TPROC_TRY(ElfFile::parse(image.bytes(), arch::kElfMachine));
  if (elf.position_independent()) return Mapping();
  return reserve_span(page_span(elf), holder);
}

Result<MappedObject> MappedObject::map(const UniqueFd& fd, const RangeHolder& holder) {
  // Parsed from a copy (file_image.hpp): a file truncated meanwhile cannot fault the daemon.
  const FileImage image = TPROC_TRY(FileImage::read_headers(fd.get()));
  ElfFile elf = TPROC_TRY(ElfFile::parse(image.bytes(), arch::kElfMachine));

  MappedObject object;
  object.position_independent_ = elf.position_independent();
  object.executable_stack_ = elf.executable_stack();
  if (elf.interpreter()) object.interpreter_ = std::string(*elf.interpreter());
  object.phnum_ = static_cast<uint16_t>(elf.program_headers().size());
  if (auto dynamic = ElfDynamic::parse(elf)) {  // none or malformed: ld.so will say what it needs
    auto mentions_origin = [](const std::optional<std::string>& list) { return list && list->find("ORIGIN") != std::string::npos; };
    object.searches_relative_to_origin_ = mentions_origin(dynamic->rpath()) || mentions_origin(dynamic->runpath());
  }

  // Reserve the whole span first so the segments land in one range nobody else can take.
  const LoadSpan span = page_span(elf);
  if (elf.position_independent()) {
    const uint64_t align = max_alignment(elf);
    const size_t length = span.size() + align - kPage;
    void* area = ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area == MAP_FAILED) return Error::from_errno("reserve " + std::to_string(span.size()) + " bytes");
    const uint64_t raw = reinterpret_cast<uint64_t>(area);
    const uint64_t aligned = (raw + align - 1) & ~(align - 1);
    // Give back the slack on both sides of the aligned range.
    if (aligned > raw) ::munmap(area, aligned - raw);
    if (raw + length > aligned + span.size())
      ::munmap(reinterpret_cast<void*>(aligned + span.size()), raw + length - aligned - span.size());
    object.reservation_ = Mapping(reinterpret_cast<void*>(aligned), span.size());
    object.bias_ = aligned - span.begin;
  } else {
    object.reservation_ = TPROC_TRY(reserve_span(span, holder));
    object.bias_ = 0;
  }

  TPROC_TRY(object.map_segments(elf, fd.get()));
  object.entry_ = object.bias_ + elf.entry();
  object.phdr_ = object.bias_ + elf.phdr_address();
  return object;
}

Result<void> MappedObject::map_segments(const ElfFile& elf, int fd) {
  for (const Elf64_Phdr& segment : elf.program_headers()) {
    if (segment.p_type != PT_LOAD || segment.p_memsz == 0) continue;
    const int prot = protection_of(segment);
    const uint64_t start = bias_ + segment.p_vaddr;
    const uint64_t map_start = page_down(start);
    const uint64_t file_end = start + segment.p_filesz;
    const uint64_t mem_end = start + segment.p_memsz;

    // A segment with bss has its last file page copied rather than mapped: the rest of that page
    // belongs to the bss and must read as zeros, up to the page end as the kernel does (ld.so's
    // early allocator hands out the bytes after its own _end), and zeroing a mapped file page
    // here would be a write through the file's mapping, which faults the daemon with SIGBUS if
    // the file was truncated meanwhile. pread into anonymous memory cannot fault: a short read
    // leaves zeros, and the program gets what the file holds now, as ld.so would.
    const bool has_bss = mem_end > file_end;
    const uint64_t mapped_end = has_bss ? page_down(file_end) : page_up(file_end);
    if (segment.p_filesz > 0 && mapped_end > map_start) {
      void* at = ::mmap(reinterpret_cast<void*>(map_start), mapped_end - map_start, prot,
                        MAP_PRIVATE | MAP_FIXED, fd, static_cast<off_t>(page_down(segment.p_offset)));
      if (at == MAP_FAILED) return Error::from_errno("map segment at " + hex_range(map_start, mapped_end));
    }
    uint64_t anonymous_from = segment.p_filesz > 0 ? mapped_end : map_start;
    if (segment.p_filesz > 0 && has_bss && page_down(file_end) < file_end) {
      const uint64_t page = page_down(file_end);
      void* at = ::mmap(reinterpret_cast<void*>(page), kPage, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (at == MAP_FAILED) return Error::from_errno("map the last file page at " + hex_range(page, page + kPage));
      // The page's file bytes begin at the file offset that maps to `page`; it may start before the
      // segment (the segment's first page), which is what mapping it would show too.
      const uint64_t file_offset = page_down(segment.p_offset) + (page - map_start);
      uint64_t done = 0;
      while (done < file_end - page) {
        const ssize_t got = ::pread(fd, reinterpret_cast<std::byte*>(page) + done, file_end - page - done,
                                    static_cast<off_t>(file_offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Error::from_errno("read the last file page of segment at " + hex_range(map_start, page_up(file_end)));
        if (got == 0) break;  // truncated meanwhile: the rest stays zero (a mapping would fault)
        done += static_cast<uint64_t>(got);
      }
      if (prot != (PROT_READ | PROT_WRITE) && ::mprotect(at, kPage, prot) < 0)
        return Error::from_errno("protect the last file page at " + hex_range(page, page + kPage));
      anonymous_from = page + kPage;
    }
    if (page_up(mem_end) > anonymous_from) {
      void* at = ::mmap(reinterpret_cast<void*>(anonymous_from), page_up(mem_end) - anonymous_from, prot,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (at == MAP_FAILED) return Error::from_errno("map bss at " + hex_range(anonymous_from, page_up(mem_end)));
    }
  }
  return ok();
}

}  // namespace tproc::loader
