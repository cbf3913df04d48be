#pragma once
// The runtime's own dependency resolver: the DT_NEEDED closure of an executable, found the way
// glibc's ld.so finds it, without running ld.so, ldd or the program.
//
// Search order for each DT_NEEDED name, per the object that needs it (its "loader"):
//   1. DT_RPATH of the loader, then of the loader's loader and up to the executable — only if the
//      loader has no DT_RUNPATH (an object with both has its DT_RPATH ignored, as in ld.so);
//   2. options.extra_dirs (where LD_LIBRARY_PATH would be);
//   3. DT_RUNPATH of the loader (not inherited);
//   4. unless the loader has DF_1_NODEFLIB: without a root, the host's ld.so.cache (if use_host)
//      then the default dirs /lib/<multiarch>, /usr/lib/<multiarch>, /lib, /usr/lib; with a root,
//      the default dirs inside the root, then (if use_host) the host's ld.so.cache and default dirs.
// $ORIGIN is the directory of the object whose entry it is: for the executable, the directory of
// its real path (what the kernel reports in /proc/self/exe for a program it started — never the
// tproc daemon's); for a library, the directory of the path it was found at, symlinks left
// unresolved, because that is what glibc's ld.so does (it keeps the name it opened).
// With a root, every path is looked up as if the root were /: symlinks, "..", absolute RPATHs
// and $ORIGIN never leave it. A candidate that is not an ELF object for this machine is skipped.
// Objects are loaded breadth-first and each name is resolved once, as in ld.so's link map.

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::loader {

/// Where and how resolve_dependencies searches.
struct ResolveOptions {
  /// Search inside this host directory as if it were / (an unpacked bundle). Empty: the host.
  std::string root;
  /// Directories inside the root searched after DT_RPATH and before DT_RUNPATH (the bundle's
  /// lib dir, say), as LD_LIBRARY_PATH would be.
  std::vector<std::string> extra_dirs;
  /// Whether host libraries may be used: the host's ld.so.cache, and with a root the host's
  /// default dirs after the root's own.
  bool use_host = true;
  /// The host's ld.so.cache. A missing or unreadable cache is skipped, as ld.so skips it.
  std::string ld_so_cache = "/etc/ld.so.cache";
};

/// One library of the closure and why it is there.
struct ResolvedLibrary {
  std::string soname;         ///< the DT_NEEDED name that brought it in
  std::string path;           ///< where it was found, as a path inside the root
  std::string host_path;      ///< a host path that opens it (in a root: symlinks resolved in it)
  std::string needed_by;      ///< the first object that needed it, as messages name it
  std::string search_reason;  ///< e.g. "RUNPATH $ORIGIN/../lib of bin/app", "ld.so.cache"
  bool from_host = false;     ///< found on the host outside the root (a root with use_host)
};

/// The program interpreter named by PT_INTERP.
struct ResolvedInterpreter {
  std::string path;         ///< PT_INTERP as written (a path inside the root)
  std::string host_path;    ///< a host path that opens it
  bool from_host = false;   ///< found on the host outside the root (a root with use_host)
};

/// An executable with everything ld.so will map for it before it runs.
struct ResolvedClosure {
  ResolveOptions options;                          ///< what the search ran with
  std::string executable;                          ///< its absolute path inside the root
  std::string executable_host_path;                ///< a host path that opens it
  std::optional<ResolvedInterpreter> interpreter;  ///< none for a static executable
  /// The libraries in ld.so's load order (breadth-first), the interpreter left out.
  std::vector<ResolvedLibrary> libraries;
};

/// Resolves the DT_NEEDED closure of `executable` (a path inside options.root). A library that
/// cannot be found fails with the chain, ENOENT: "libfoo.so.1 (needed by lib/libbar.so, needed by
/// bin/app) not found in: /bundle/lib, /usr/lib/x86_64-linux-gnu, ...".
Result<ResolvedClosure> resolve_dependencies(const std::string& executable,
                                             const ResolveOptions& options = {});

/// The files a glibc program loads at run time that DT_NEEDED does not list, found next to the
/// closure's libc.so.6: libc's siblings (libm, libpthread, libdl, librt, libutil, libanl),
/// libresolv, libnss_files, libnss_dns and the libnss_*.so.2 named by the root's
/// /etc/nsswitch.conf — each that exists — with the libraries they need in turn. Empty without
/// libc.so.6. A module whose own dependencies cannot be found is left out: libc could not load it
/// either, and NSS moves on to the next source.
Result<std::vector<ResolvedLibrary>> libc_family(const ResolvedClosure& closure);

}  // namespace tproc::loader
