#pragma once
// A command run as a person at a terminal runs it: stdin, stdout and stderr on a fresh
// pseudo-terminal (Python's pty module), for what a command does only on a terminal — colors,
// progress lines, "started space" notes.

#include <string>
#include <vector>

#include "sandbox.hpp"

namespace tproc::e2e {

/// Runs `argv` (argv[0] a path) with the sandbox's environment plus `extra_env`, on a new pty.
/// `out` is everything it wrote to the terminal (stdout and stderr together, as a person sees
/// them, with the terminal's \r\n line ends); `status` its exit status (128+N after signal N).
/// `columns`: the terminal's width (0: the pty's default, which reports no size).
Outcome on_terminal(Sandbox& sandbox, const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                    unsigned columns = 0);

}  // namespace tproc::e2e
