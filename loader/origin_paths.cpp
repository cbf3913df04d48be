#include "loader/origin_paths.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "arch_traits.hpp"
#include "common/mapping.hpp"
#include "common/unique_fd.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

Result<bool> searches_relative_to_origin(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat " + path);
  if (!S_ISREG(st.st_mode) || st.st_size == 0) return false;
  void* view = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED) return Error::from_errno("mmap " + path);
  Mapping bytes(view, static_cast<size_t>(st.st_size));
  auto elf = ElfFile::parse({bytes.bytes(), bytes.size()}, arch::kElfMachine);
  if (!elf) return false;  // the loader reports what is wrong with it
  auto dynamic = ElfDynamic::parse(*elf);
  if (!dynamic) return false;
  auto mentions = [](const std::optional<std::string>& list) {
    return list && list->find("ORIGIN") != std::string::npos;
  };
  return mentions(dynamic->rpath()) || mentions(dynamic->runpath());
}

}  // namespace tproc::loader
