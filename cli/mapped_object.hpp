#pragma once
// An ELF object as /proc/PID/maps shows it mapped, for `tproc which` and `tproc debug`: whether a
// file is the very file a mapping maps (a path may name another file by now), and the object's
// load bias from its lowest mapping.

#include <sys/stat.h>

#include <cstdint>
#include <optional>

#include "cli/process_maps.hpp"
#include "loader/elf_file.hpp"

namespace tproc::cli {

/// Whether `file` is the file `entry` maps: a regular file of the same device ("fd:01" in maps)
/// and inode.
bool is_mapped_file(const struct stat& file, const MapsEntry& entry);

/// The load bias of `elf` mapped from `first` (the object's lowest mapping): its first PT_LOAD
/// lands there. nullopt when that segment does not start at `first`'s file offset (a part of the
/// file mapped alone, not an object ld.so loaded). A file offset alone does not tell the bias:
/// RELRO maps a page of the data segment's file offset that the segment before it maps too.
std::optional<uint64_t> load_bias(const loader::ElfFile& elf, const MapsEntry& first);

}  // namespace tproc::cli
