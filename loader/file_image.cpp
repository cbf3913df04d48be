#include "loader/file_image.hpp"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "loader/read_at.hpp"

namespace tproc::loader {
namespace {

// More than any linker emits, as in ElfFile: bounds the table copied before it is validated.
constexpr uint64_t kMaxProgramHeaders = 4096;

}  // namespace

Result<FileImage> FileImage::allocate(int fd) {
  FileImage image;
  if (::fstat(fd, &image.status_) < 0) return Error::from_errno("fstat");
  if (S_ISDIR(image.status_.st_mode)) return Error("is a directory", EISDIR);
  if (!S_ISREG(image.status_.st_mode)) return Error("not a regular file", EACCES);
  if (image.status_.st_size <= 0) return Error("empty file (not an ELF file)", ENOEXEC);
  const auto size = static_cast<size_t>(image.status_.st_size);
  // MAP_NORESERVE: only the pages copied into are ever backed.
  void* area = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) return Error::from_errno("reserve " + std::to_string(size) + " bytes to read the file");
  image.copy_ = Mapping(area, size);
  return image;
}

Result<void> FileImage::copy(int fd, uint64_t offset, uint64_t length) {
  const uint64_t size = copy_.size();
  if (offset >= size) return ok();
  length = std::min(length, size - offset);
  while (length > 0) {
    const ssize_t got = ::pread(fd, copy_.bytes() + offset, length, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("read");
    if (got == 0) break;  // the file shrank since fstat: the rest stays zero
    offset += static_cast<uint64_t>(got);
    length -= static_cast<uint64_t>(got);
  }
  return ok();
}

Result<FileImage> FileImage::read_whole(int fd) {
  FileImage image = TPROC_TRY(allocate(fd));
  TPROC_TRY(image.copy(fd, 0, image.copy_.size()));
  return image;
}

Result<FileImage> FileImage::read_headers(int fd) {
  FileImage image = TPROC_TRY(allocate(fd));
  // The first page holds the ELF header and, in every linker's layout, the program headers.
  TPROC_TRY(image.copy(fd, 0, 4096));
  const auto header = read_at<Elf64_Ehdr>(image.bytes(), 0);
  if (!header || header->e_phentsize != sizeof(Elf64_Phdr) || header->e_phnum > kMaxProgramHeaders) return image;
  const uint64_t table_size = uint64_t{header->e_phnum} * sizeof(Elf64_Phdr);
  TPROC_TRY(image.copy(fd, header->e_phoff, table_size));

  // The headers whose file bytes the parsers read; DT_STRTAB is found through PT_DYNAMIC.
  std::optional<Elf64_Phdr> dynamic;
  for (uint64_t index = 0; index < header->e_phnum; ++index) {
    const auto phdr = read_at<Elf64_Phdr>(image.bytes(), header->e_phoff + index * sizeof(Elf64_Phdr));
    if (!phdr) break;
    if (phdr->p_type == PT_INTERP || phdr->p_type == PT_DYNAMIC) TPROC_TRY(image.copy(fd, phdr->p_offset, phdr->p_filesz));
    if (phdr->p_type == PT_DYNAMIC && !dynamic) dynamic = phdr;
  }
  if (!dynamic) return image;

  std::optional<uint64_t> strtab, strsz;
  for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= dynamic->p_filesz; at += sizeof(Elf64_Dyn)) {
    const auto entry = read_at<Elf64_Dyn>(image.bytes(), dynamic->p_offset + at);
    if (!entry || entry->d_tag == DT_NULL) break;
    if (entry->d_tag == DT_STRTAB) strtab = entry->d_un.d_ptr;
    if (entry->d_tag == DT_STRSZ) strsz = entry->d_un.d_val;
  }
  if (!strtab || !strsz) return image;
  // DT_STRTAB is an address: the PT_LOAD whose file bytes hold it says where it is in the file.
  for (uint64_t index = 0; index < header->e_phnum; ++index) {
    const auto load = read_at<Elf64_Phdr>(image.bytes(), header->e_phoff + index * sizeof(Elf64_Phdr));
    if (!load) break;
    if (load->p_type != PT_LOAD || *strtab < load->p_vaddr || *strtab - load->p_vaddr >= load->p_filesz) continue;
    TPROC_TRY(image.copy(fd, load->p_offset + (*strtab - load->p_vaddr), *strsz));
    break;
  }
  return image;
}

}  // namespace tproc::loader
