#pragma once
// What `tproc which` finds at an address of a space, beyond what the daemon tells (whose range it
// is, the space-heap block): the mapping there (/proc/DAEMON_PID/maps: one mm, so the daemon's
// maps are every tproc's), and, when an ELF object is mapped there, the address as that object
// links it and the symbol at it (its .symtab, else .dynsym, read with the loader's own ELF view).
//
// The object is read here, in the client, never in the daemon: a hostile or broken file can cost
// the one `which` that looks at it, not the space. It is opened through /proc/PID/map_files/
// (the very file mapped, even when deleted or outside our mount namespace) when we may, else by
// the path maps shows, and then only if its device and inode are the mapped file's.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/process_maps.hpp"
#include "common/result.hpp"
#include "loader/elf_symbols.hpp"

namespace tproc::cli {

/// Reads an address as gdb prints it: "0x" and 1 to 16 hex digits.
Result<uint64_t> parse_address(const std::string& text);

/// What a mapping is, for people: "file", "anon", "heap" ([heap]), "stack" ([stack]), or the
/// kernel's name of a special mapping without brackets ("vdso", "vvar", "vsyscall").
std::string mapping_kind(const MapsEntry& entry);

/// The ELF object mapped at an address, and the address as it links it.
struct ObjectAddress {
  std::string path;           ///< the object's file, as maps names it
  uint64_t link_address = 0;  ///< the address minus the object's load bias (what `nm` shows)
  /// The address's offset in the file; nullopt in the object's anonymous part (.bss past the
  /// file's last page).
  std::optional<uint64_t> file_offset;
  std::optional<loader::SymbolAt> symbol;  ///< nullopt: no symbol near
};

/// The ELF object at `address`, which `entries[index]` (a line of /proc/`pid`/maps) holds: that
/// entry's file, or, for the anonymous entry right after an object's last file mapping, that
/// object's .bss. nullopt when no ELF object is mapped there (anonymous memory, a data file);
/// an error when the object cannot be read (named, with the reason).
Result<std::optional<ObjectAddress>> object_at(pid_t pid, const std::vector<MapsEntry>& entries, size_t index,
                                               uint64_t address);

}  // namespace tproc::cli
