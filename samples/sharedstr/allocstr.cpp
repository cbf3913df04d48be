// allocstr TEXT: puts TEXT in a std::string on the heap and prints that string's address (0x...).
// It then stays alive, so the address stays valid, until it gets SIGTERM or SIGINT, or its stdin
// reaches EOF when stdin is a terminal, a pipe or a socket (Ctrl-D, or the writer closing it).
// With any other stdin (/dev/null, as a detached program gets) only a signal ends it.
// A plain program: it knows nothing of tproc.

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>

namespace {

volatile sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

/// True when stdin is something a person or a program writes to over time: a terminal, a pipe,
/// a socket. /dev/null or a file would be at EOF at once, and must not end the wait.
bool stdin_is_a_stream() {
  struct stat info;
  if (fstat(STDIN_FILENO, &info) != 0) return false;
  return isatty(STDIN_FILENO) || S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: allocstr TEXT\n";
    return 2;
  }
  // SIGTERM and SIGINT are blocked except inside ppoll below, so one that arrives at any moment
  // (even right after the address is printed) ends the wait instead of slipping past it.
  sigset_t stop_signals, while_waiting;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, &while_waiting);
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  auto* text = new std::string(argv[1]);
  std::cout << static_cast<const void*>(text) << std::endl;  // std::endl flushes

  pollfd input = {STDIN_FILENO, POLLIN, 0};
  const nfds_t watched = stdin_is_a_stream() ? 1 : 0;  // 0: ppoll just waits for a signal
  char buffer[256];
  while (!stop_requested) {
    if (ppoll(&input, watched, nullptr, &while_waiting) < 0) continue;  // EINTR: a stop signal
    if (read(STDIN_FILENO, buffer, sizeof buffer) <= 0) break;          // EOF
  }
  delete text;
  return 0;
}
