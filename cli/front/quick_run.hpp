#pragma once
// The quick path of `tproc run`: an executable started in a space whose daemon already runs.
//
// It is what almost every `tproc run` is, and it sends the same request and plays the same part
// afterwards as cli/run_session.cpp: signals relayed, the program's exit status as its own. Any
// other case — --help, a bundle, no daemon yet, an argument or file it would have to refuse, a
// refusal from the daemon — it declines before the program exists, having changed nothing, and
// the full CLI (libexec/tproc/tproc-cli) takes the same command line from the start and explains.

namespace tproc::front {

/// Runs `tproc run ARGS...` (`args` follow "run") and sets `status` to what tproc must exit with;
/// false when it declines.
[[nodiscard]] bool quick_run(int arg_count, char** args, char** envp, int& status);

}  // namespace tproc::front
