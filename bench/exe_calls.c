// exe_calls [N]: times the calls the mapping filter also notifies so that /proc/self/exe names the
// program (space/program_exe.hpp), N of each (default 20000; execs N/100), and prints one line:
//   "self=NS link=NS plain=NS realpath=NS exec=NS" (ns per call, p50 of 5 batches):
// readlink of /proc/self/exe (answered), of an ordinary symlink and of a non-link (both let
// through after the daemon looked), realpath of a path with symlinks (a readlink per component),
// and fork + execve of /bin/true + wait (the child's execve is let through).

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

enum { kBatches = 5 };

static double per_call(int kind, int n) {
  double batches[kBatches];
  char buffer[PATH_MAX];
  for (int b = 0; b < kBatches; ++b) {
    const long long start = now_ns();
    for (int i = 0; i < n; ++i) {
      switch (kind) {
        case 0: (void)!readlink("/proc/self/exe", buffer, sizeof(buffer)); break;
        case 1: (void)!readlink("/bin", buffer, sizeof(buffer)); break;  // Debian 12: /bin -> usr/bin
        case 2: (void)!readlink("/etc/passwd", buffer, sizeof(buffer)); break;
        case 3: (void)!realpath("/bin/sh", buffer); break;
        case 4: {
          const pid_t child = fork();
          if (child == 0) {
            execl("/bin/true", "true", (char*)NULL);
            _exit(127);
          }
          int status;
          waitpid(child, &status, 0);
          break;
        }
      }
    }
    batches[b] = (double)(now_ns() - start) / n;
  }
  qsort(batches, kBatches, sizeof(double), compare);
  return batches[kBatches / 2];
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 20000;
  if (n < 100) return 2;
  printf("self=%.0f link=%.0f plain=%.0f realpath=%.0f exec=%.0f\n", per_call(0, n), per_call(1, n), per_call(2, n),
         per_call(3, n), per_call(4, n / 100));
  return 0;
}
