// tproc: the front door. Every `tproc` command starts in this small program, and almost all of
// them at once exec the full CLI, libexec/tproc/tproc-cli, with the same command line.
//
// The exception is the common `tproc run` (cli/front/quick_run.hpp), whose whole cost users
// feel on every launch: it is built against musl, without the C++ standard library, because
// glibc's start-up alone probes the CPU with ~80 cpuid instructions, each a trap to the
// hypervisor on a VM: 0.3 ms of a 0.4 ms start here, more than half of what a direct launch of
// a program costs (bench/launch_bench). A musl program starts in 0.12 ms. Without musl at build
// time this is built against glibc: the same behaviour, slower.

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tproc_version.h>

#include "cli/front/quick_run.hpp"

namespace {

/// PREFIX/libexec/tproc/tproc-cli for this PREFIX/bin/tproc (the build tree has the same layout).
bool full_cli_path(char (&path)[PATH_MAX]) {
  char self[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length < 0) return false;
  self[length] = '\0';
  for (int level = 0; level < 2; ++level) {  // drop "/tproc", then "/bin"
    char* slash = strrchr(self, '/');
    if (!slash) return false;
    *slash = '\0';
  }
  const int written = snprintf(path, sizeof(path), "%s/libexec/tproc/tproc-cli", self);
  return written > 0 && written < static_cast<int>(sizeof(path));
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  // Answered here, without starting the full CLI (which prints the same line for `tproc-cli version`).
  if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
    fputs(TPROC_VERSION_LINE, stdout);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "run") == 0) {
    int status = 0;
    if (tproc::front::quick_run(argc - 2, argv + 2, envp, status)) return status;
  }
  char cli[PATH_MAX];
  if (!full_cli_path(cli)) {
    fprintf(stderr, "tproc: cannot find libexec/tproc/tproc-cli from /proc/self/exe: %s\n", strerror(errno ? errno : ENOENT));
    return 125;
  }
  execve(cli, argv, envp);
  fprintf(stderr, "tproc: cannot start %s: %s\n", cli, strerror(errno));
  return 125;
}
