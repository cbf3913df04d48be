#include "cli/crash_report.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdint>
#include <initializer_list>

namespace tproc::cli {
namespace {

// What the handler reads: set once, before it is installed (a signal handler has no other way in).
char g_space[96];

/// Appends `text` to `line` at `used` (bounded); async-signal-safe.
void append(char* line, size_t size, size_t& used, const char* text) {
  while (*text && used + 1 < size) line[used++] = *text++;
}

void append_number(char* line, size_t size, size_t& used, uint64_t value, unsigned base) {
  char digits[24];
  size_t count = 0;
  do {
    digits[count++] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value && count < sizeof(digits));
  if (base == 16) append(line, size, used, "0x");
  while (count && used + 1 < size) line[used++] = digits[--count];
}

const char* name_of(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
  }
  return "a fatal signal";
}

void report(int signal, siginfo_t* info, void*) {
  char line[256];
  size_t used = 0;
  append(line, sizeof(line), used, "daemon of space '");
  append(line, sizeof(line), used, g_space);
  append(line, sizeof(line), used, "' (pid ");
  append_number(line, sizeof(line), used, static_cast<uint64_t>(::getpid()), 10);
  append(line, sizeof(line), used, ", thread ");
  append_number(line, sizeof(line), used, static_cast<uint64_t>(::gettid()), 10);
  append(line, sizeof(line), used, ") crashed: ");
  append(line, sizeof(line), used, name_of(signal));
  if (signal != SIGABRT && info) {
    append(line, sizeof(line), used, " at address ");
    append_number(line, sizeof(line), used, reinterpret_cast<uint64_t>(info->si_addr), 16);
  }
  if (info && info->si_code <= 0) {
    append(line, sizeof(line), used, ", sent by pid ");
    append_number(line, sizeof(line), used, static_cast<uint64_t>(info->si_pid), 10);
  }
  append(line, sizeof(line), used, "; its tprocs keep running unwatched; the next 'tproc run' starts a new daemon\n");
  (void)!::write(STDERR_FILENO, line, used);
  // SA_RESETHAND restored the default action: returning re-runs the faulting instruction (or the
  // signal is raised again) and the daemon ends as it would have without us.
  if (signal == SIGABRT || (info && info->si_code <= 0)) ::raise(signal);
}

}  // namespace

void install_crash_report(const char* space) {
  ::strncpy(g_space, space, sizeof(g_space) - 1);
  struct sigaction action {};
  action.sa_sigaction = report;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(signal, &action, nullptr);
}

}  // namespace tproc::cli
