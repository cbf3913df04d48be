#pragma once
// Programs whose library search depends on where they live ($ORIGIN).
//
// glibc's ld.so takes the main program's $ORIGIN from /proc/self/exe, which for every tproc names
// the daemon's binary. Such a program must be started through its interpreter
// (`ld.so --argv0 ARGV0 PROGRAM ARGS...`), which takes $ORIGIN from the path it was given instead.

#include <optional>
#include <string>

#include "common/result.hpp"

namespace tproc::loader {

/// The interpreter (PT_INTERP) to start the executable open at `fd` through, when it has a
/// DT_RPATH or DT_RUNPATH that mentions $ORIGIN; none when it has not, or has no interpreter, or
/// is no ELF file the loader would take (the loader reports what is wrong with it).
Result<std::optional<std::string>> interpreter_for_origin(int fd);

}  // namespace tproc::loader
