#pragma once
// The program `tproc run --rootfs DIR TARGET` starts: TARGET found and opened inside DIR, as the
// program will see it. Shared by `tproc run` and tproc-oci (oci/).

#include "cli/run_session.hpp"

namespace tproc::cli {

/// TARGET inside --rootfs DIR: its path there (searched in the usual directories when it has no
/// slash), opened as the program will see it, so no symlink in DIR reaches outside it. The
/// program is not a script: its interpreter would have to be found inside DIR as well.
Result<PreparedRun> prepare_in_root(const RunInvocation& invocation);

}  // namespace tproc::cli
