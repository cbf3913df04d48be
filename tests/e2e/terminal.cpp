#include "terminal.hpp"

namespace tproc::e2e {
namespace {

// Relays what the child wrote to the pty to stdout, then exits with the child's status.
// argv[1] is the terminal's width in columns ("0": the pty's default, no size).
constexpr const char* kOnTerminal =
    "import fcntl, os, pty, struct, sys, termios\n"
    "columns = int(sys.argv[1])\n"
    "pid, fd = pty.fork()\n"
    "if pid == 0:\n"
    "    if columns:\n"
    "        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, columns, 0, 0))\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
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

Outcome on_terminal(Sandbox& sandbox, const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                    unsigned columns) {
  std::vector<std::string> relay{"/usr/bin/python3", "-c", kOnTerminal, std::to_string(columns)};
  relay.insert(relay.end(), argv.begin(), argv.end());
  return sandbox.run_direct(relay, {.extra_env = extra_env});
}

}  // namespace tproc::e2e
