#pragma once
// Starting a long-lived helper process (a space daemon, an app's supervisor) detached from its
// caller: its own session, reparented to init, with nothing inherited but what it is given.

#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc {

/// Runs `executable` with `argv` (argv[0] included) detached from us. It gets exactly four
/// descriptors: /dev/null as 0 and 1, `stderr_fd` (or /dev/null when -1) as 2, and a pipe as 3 on
/// which it reports its start. Returns what it wrote there before closing it: empty when it
/// exited without a word.
Result<std::string> start_detached(const std::string& executable, const std::vector<std::string>& argv, int stderr_fd = -1);

}  // namespace tproc
