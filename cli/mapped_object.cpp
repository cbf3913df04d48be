#include "cli/mapped_object.hpp"

#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>

namespace tproc::cli {

bool is_mapped_file(const struct stat& file, const MapsEntry& entry) {
  unsigned major_number = 0, minor_number = 0;
  if (std::sscanf(entry.device.c_str(), "%x:%x", &major_number, &minor_number) != 2) return false;
  return S_ISREG(file.st_mode) && file.st_ino == entry.inode && major(file.st_dev) == major_number &&
         minor(file.st_dev) == minor_number;
}

std::optional<uint64_t> load_bias(const loader::ElfFile& elf, const MapsEntry& first) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  for (const Elf64_Phdr& segment : elf.program_headers()) {
    if (segment.p_type != PT_LOAD) continue;
    if ((segment.p_offset & ~(page - 1)) != first.offset) return std::nullopt;
    return first.begin - (segment.p_vaddr & ~(page - 1));
  }
  return std::nullopt;
}

}  // namespace tproc::cli
