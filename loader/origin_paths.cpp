#include "loader/origin_paths.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include "arch_traits.hpp"
#include "common/mapping.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

Result<std::optional<std::string>> interpreter_for_origin(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return Error::from_errno("fstat");
  if (!S_ISREG(st.st_mode) || st.st_size == 0) return std::optional<std::string>();
  void* view = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (view == MAP_FAILED) return Error::from_errno("mmap");
  Mapping bytes(view, static_cast<size_t>(st.st_size));
  auto elf = ElfFile::parse({bytes.bytes(), bytes.size()}, arch::kElfMachine);
  if (!elf || !elf->interpreter()) return std::optional<std::string>();
  auto dynamic = ElfDynamic::parse(*elf);
  if (!dynamic) return std::optional<std::string>();
  auto mentions = [](const std::optional<std::string>& list) { return list && list->find("ORIGIN") != std::string::npos; };
  if (!mentions(dynamic->rpath()) && !mentions(dynamic->runpath())) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*elf->interpreter()));
}

}  // namespace tproc::loader
