#pragma once
// A space daemon that dies of a fault says so in its log (issue 13 item 7): a crash must never go
// unnoticed. The handler writes one line -- the signal, the faulting address, the space -- with
// async-signal-safe calls only, then lets the signal take the daemon down as it would have
// (default action, same status, a core if the limits allow one). tprocs never run it: clone3's
// CLONE_CLEAR_SIGHAND gives each one default handlers.

namespace tproc::cli {

/// Installs the report for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT in this process, naming
/// `space` (copied) in the line it writes to stderr.
void install_crash_report(const char* space);

}  // namespace tproc::cli
