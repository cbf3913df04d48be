#include "terminal.hpp"

namespace tproc::e2e {
namespace {

// Relays what the child wrote to the pty to stdout, then exits with the child's status.
constexpr const char* kOnTerminal =
    "import os, pty, sys\n"
    "pid, fd = pty.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "out = b''\n"
    "while True:\n"
    "    try:\n"
    "        chunk = os.read(fd, 65536)\n"
    "    except OSError:\n"
    "        break\n"
    "    if not chunk:\n"
    "        break\n"
    "    out += chunk\n"
    "_, status = os.waitpid(pid, 0)\n"
    "sys.stdout.buffer.write(out)\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "sys.exit(128 - code if code < 0 else code)\n";

}  // namespace

Outcome on_terminal(Sandbox& sandbox, const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  std::vector<std::string> relay{"/usr/bin/python3", "-c", kOnTerminal};
  relay.insert(relay.end(), argv.begin(), argv.end());
  return sandbox.run_direct(relay, {.extra_env = extra_env});
}

}  // namespace tproc::e2e
