#include "cli/address_lookup.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "arch_traits.hpp"
#include "cli/mapped_object.hpp"
#include "common/hex.hpp"
#include "common/printable.hpp"
#include "common/unique_fd.hpp"
#include "loader/elf_file.hpp"
#include "loader/file_image.hpp"

namespace tproc::cli {
namespace {

/// Objects larger than this are not read for their symbols: the whole file is copied to read
/// them (loader/file_image.hpp), and a program may map a huge file of data.
constexpr off_t kMaxObjectBytes = off_t{1} << 30;

/// Opens the file `entry` maps: through map_files (it needs CAP_SYS_ADMIN or
/// CAP_CHECKPOINT_RESTORE), else by its path if that still names the same file.
Result<UniqueFd> open_mapped_file(pid_t pid, const MapsEntry& entry) {
  char link[96];
  std::snprintf(link, sizeof link, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, static_cast<int>(pid), entry.begin, entry.end);
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;  // never wait on a FIFO's writer
  UniqueFd fd(::open(link, kFlags));
  if (!fd.valid()) {
    if (entry.path.empty() || entry.path[0] != '/')
      return Error::explained("the file mapped there is not reachable by a path ('" + printable(entry.path) + "')", ENOENT);
    fd.reset(::open(entry.path.c_str(), kFlags));
    if (!fd.valid()) return Error::from_errno("open " + printable(entry.path));
  }
  struct stat file {};
  if (::fstat(fd.get(), &file) < 0) return Error::from_errno("stat " + printable(entry.path));
  if (!is_mapped_file(file, entry))
    return Error::explained(printable(entry.path) + " is no longer the file mapped there (replaced or deleted since)", ESTALE);
  if (file.st_size > kMaxObjectBytes)
    return Error::explained(printable(entry.path) + " is too large to read its symbols (" + std::to_string(file.st_size) +
                                " bytes, at most " + std::to_string(kMaxObjectBytes) + ")",
                            EFBIG);
  return fd;
}

bool starts_with_elf_magic(int fd) {
  unsigned char magic[SELFMAG] = {};
  return ::pread(fd, magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

bool same_file(const MapsEntry& a, const MapsEntry& b) { return a.inode != 0 && a.inode == b.inode && a.device == b.device; }

/// The first entry of the object that `entries[index]` maps a part of: back over its other file
/// mappings and the anonymous gaps ld.so leaves between them.
size_t first_entry_of_object(const std::vector<MapsEntry>& entries, size_t index) {
  size_t first = index;
  for (size_t at = index; at > 0;) {
    --at;
    if (entries[at].end != entries[at + 1].begin) break;
    if (same_file(entries[at], entries[index])) {
      first = at;
    } else if (entries[at].inode != 0 || !entries[at].path.empty()) {
      break;
    }
  }
  return first;
}

}  // namespace

Result<uint64_t> parse_address(const std::string& text) {
  const auto refuse = [&] {
    return Error::explained("not an address: '" + printable(text) + "' (expected hex, as gdb prints it: 0x7f0611a4feb0)",
                            EINVAL);
  };
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return refuse();
  uint64_t address = 0;
  for (size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return refuse();
    address = address << 4 | static_cast<uint64_t>(digit);
  }
  return address;
}

std::string mapping_kind(const MapsEntry& entry) {
  if (entry.path.empty() || entry.path.rfind("[anon:", 0) == 0) return "anon";
  if (entry.path == "[heap]") return "heap";
  if (entry.path == "[stack]") return "stack";
  if (entry.path.front() == '[' && entry.path.back() == ']') return entry.path.substr(1, entry.path.size() - 2);
  return entry.inode != 0 ? "file" : "anon";
}

Result<std::optional<ObjectAddress>> object_at(pid_t pid, const std::vector<MapsEntry>& entries, size_t index,
                                               uint64_t address) {
  // The entry with the object's file: this one, or the file mapping that this anonymous one
  // continues (ld.so maps .bss past the file's last page anonymously, right after it).
  size_t base = index;
  if (entries[index].inode == 0) {
    if (!entries[index].path.empty() || index == 0 || entries[index - 1].end != entries[index].begin ||
        entries[index - 1].inode == 0)
      return std::optional<ObjectAddress>{};
    base = index - 1;
  }
  const MapsEntry& mapped = entries[base];
  UniqueFd fd = TPROC_TRY(open_mapped_file(pid, mapped));
  if (!starts_with_elf_magic(fd.get())) return std::optional<ObjectAddress>{};  // a file of data
  const loader::FileImage image = TPROC_TRY_CTX(printable(mapped.path), loader::FileImage::read_whole(fd.get()));
  const loader::ElfFile elf = TPROC_TRY_CTX(printable(mapped.path), loader::ElfFile::parse(image.bytes(), arch::kElfMachine));

  const std::optional<uint64_t> bias = load_bias(elf, entries[first_entry_of_object(entries, base)]);
  if (!bias) return std::optional<ObjectAddress>{};  // a part of the file mapped alone, not an object ld.so loaded
  ObjectAddress found{mapped.path, address - *bias, std::nullopt, std::nullopt};
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  bool in_object = false;
  for (const Elf64_Phdr& load : elf.program_headers()) {
    if (load.p_type != PT_LOAD || found.link_address < (load.p_vaddr & ~(page - 1)) ||
        found.link_address >= load.p_vaddr + load.p_memsz)
      continue;
    in_object = true;
    break;
  }
  if (!in_object) return std::optional<ObjectAddress>{};
  if (base == index) found.file_offset = mapped.offset + (address - mapped.begin);
  found.symbol = TPROC_TRY_CTX(printable(mapped.path) + ": symbols", loader::symbol_at(elf, found.link_address));
  return std::optional<ObjectAddress>(std::move(found));
}

}  // namespace tproc::cli
