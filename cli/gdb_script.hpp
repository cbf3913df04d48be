#pragma once
// The command file `tproc debug` hands to stock gdb, so that gdb sees one tproc as if it were a
// process of its own: its executable and libraries at their load addresses, its threads through
// libthread_db, and no breakpoint that a sibling could run into.
//
// Why each step (measured with Debian's gdb 13.1, see README "Debugging a tproc"):
// - gdb's GNU/Linux support reads /proc/PID/exe and /proc/PID/auxv on attach; in a space both
//   are the daemon's (one mm), so gdb would load the daemon's symbols, shift the executable by
//   the daemon's entry point, and plant its shared-library event breakpoint in the daemon's
//   _dl_debug_state, an int3 that the untraced daemon would die on when it next loads a library.
//   The session runs with `set osabi none`: no shared-library support at all (so no TLS
//   variables and no dlopen events either: those need it). The tproc's own executable is the
//   exec file during attach (`exec-file-mismatch off`: gdb keeps it instead of the daemon's), and
//   is dropped after, since gdb would serve its unrelocated sections in place of memory.
// - The executable is the main symbol file (`symbol-file -o BIAS`: without GNU/Linux support
//   gdb adds no shift of its own), so gdb knows main and the entry point that calls return to.
// - Each library comes in by `add-symbol-file` with every allocated section's address given: with
//   only `-o BIAS`, gdb 13 applies the offset after it announced the new objfile, and
//   libthread_db, looked up at that moment, reads __nptl_version at its link-time address and
//   fails ("td_ta_new failed: generic error").
// - A software breakpoint is an int3 written into the space's one copy of that code. A tproc's
//   own objects are its alone (each tproc maps its own copy of every library, at its own
//   address), but the vDSO, the daemon and other tprocs' code are not: a Python hook disables
//   every software breakpoint location outside the tproc's own executable ranges, and says why.
//   Hardware breakpoints and watchpoints live in the traced threads' debug registers: allowed.

#include <sys/types.h>

#include <string>

#include "cli/debug_objects.hpp"

namespace tproc::cli {

/// The tproc gdb is to attach to.
struct GdbTarget {
  pid_t pid = 0;
  std::string who;          ///< "tproc 3 (debug_target) in space 's'", for what the script prints
  std::string executable;   ///< a path to its executable, the exec file during attach
  DebugView view;
};

/// The gdb command file for `target`: gdb CLI commands and one Python block; every path and name
/// in it is encoded so that no file name or tproc name can add a command.
std::string gdb_script(const GdbTarget& target);

/// The gdb command file for the core dump `core` of a tproc: it loads the core and the symbols of
/// the program that crashed, found in the core itself (its ld.so's link map); `program`, an
/// absolute path or empty, narrows the search to that executable. Same encoding of paths.
std::string gdb_core_script(const std::string& core, const std::string& program);

}  // namespace tproc::cli
