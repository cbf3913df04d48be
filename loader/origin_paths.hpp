#pragma once
// Whether a program's library search depends on where it lives ($ORIGIN).
//
// glibc's ld.so takes the main program's $ORIGIN from /proc/self/exe, which for every tproc names
// the daemon's binary. Such a program must be started through its interpreter (ld.so PROGRAM),
// which takes $ORIGIN from the path it was given instead.

#include <string>

#include "common/result.hpp"

namespace tproc::loader {

/// True when the executable at `path` has a DT_RPATH or DT_RUNPATH that mentions $ORIGIN.
Result<bool> searches_relative_to_origin(const std::string& path);

}  // namespace tproc::loader
