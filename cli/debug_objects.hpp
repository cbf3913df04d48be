#pragma once
// What a debugger needs to know about one tproc that the kernel cannot tell it: which ELF
// objects (executable, ld.so, libraries) are that program's, where each was loaded, and which
// code is the program's own. gdb learns the first two from /proc/PID/exe, /proc/PID/auxv and the
// r_debug those lead to, and in a space all three are the daemon's (one mm). The owned parts of
// /proc/PID/maps (cli/process_maps.hpp, from the daemon's ledger) say it instead: an ELF file the
// tproc mapped with an executable part is one of its objects, and its mapping at file offset 0
// holds its first PT_LOAD, so that mapping's start minus the segment's page is the load bias.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/process_maps.hpp"
#include "common/result.hpp"
#include "loader/elf_sections.hpp"

namespace tproc::cli {

/// One ELF object a tproc loaded.
struct DebugObject {
  /// A path the debugger can open: the one /proc/PID/maps names, or /proc/PID/map_files/RANGE
  /// when that path no longer leads to the mapped file (replaced, deleted, or only inside the
  /// tproc's own root).
  std::string path;
  uint64_t start = 0;                         ///< where its first PT_LOAD's page was mapped
  uint64_t bias = 0;                          ///< load address minus link-time address
  std::vector<loader::ElfSection> sections;  ///< allocated sections, at link-time addresses
  /// A program rather than a library: ET_EXEC, or ET_DYN marked DF_1_PIE (ld.so maps a
  /// program it was asked to run, so the daemon's loader may have mapped only ld.so).
  bool program = false;
};

/// An address range [begin, end).
struct CodeRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// A tproc as a debugger should see it.
struct DebugView {
  /// Its objects, the thread library (libc.so.*, libpthread.so.*) last: gdb looks for
  /// libthread_db when that one appears, and needs ld.so's symbols by then.
  std::vector<DebugObject> objects;
  std::vector<CodeRange> code;  ///< the executable ranges it owns, ascending
};

/// Works out the view of tproc `pid` from `entries` (all of /proc/PID/maps) and `owned` (the
/// parts of them it owns). Files that are not ELF objects for this machine (data it mapped) are
/// left out; an ELF object whose file cannot be read is an error naming it.
Result<DebugView> debug_view(pid_t pid, const std::vector<MapsEntry>& entries, const std::vector<MapsEntry>& owned);

}  // namespace tproc::cli
