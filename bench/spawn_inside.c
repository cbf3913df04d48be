// spawn_inside RUNS PROGRAM: run inside a tproc (launch_bench starts it with `tproc run`), it
// starts PROGRAM RUNS times each way, interleaved: posix_spawn+waitpid (a process outside the
// space, what a tproc had before) and tproc_spawn+tproc_child_wait (a tproc of the same space).
// Prints p50/mean/min of each in milliseconds and their ratio; asserts no timing. Goal (issue 18):
// tproc_spawn at most 0.7x of posix_spawn. Exits 1 if a start or a wait fails.
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <tproc/tproc.h>

extern char** environ;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

struct stats {
  double p50, mean, min;
};

static struct stats summarize(double* samples, int count) {
  struct stats s = {0, 0, 0};
  qsort(samples, (size_t)count, sizeof(double), by_value);
  for (int i = 0; i < count; ++i) s.mean += samples[i] / count;
  s.p50 = samples[count / 2];
  s.min = samples[0];
  return s;
}

/// posix_spawn+waitpid of argv[0]; 0 when it exited 0.
static int with_posix_spawn(char** argv) {
  pid_t pid;
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/// tproc_spawn+tproc_child_wait of argv[0]; 0 when it exited 0.
static int with_tproc_spawn(char** argv) {
  tproc_child* child;
  if (tproc_spawn(&child, argv[0], NULL, NULL, argv, NULL) < 0) return -1;
  int status;
  const int waited = tproc_child_wait(child, -1, &status);
  tproc_child_release(child);
  return waited == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char** argv) {
  const int runs = argc == 3 ? atoi(argv[1]) : 0;
  if (runs < 1) {
    fprintf(stderr, "usage: spawn_inside RUNS PROGRAM   (inside a tproc)\n");
    return 2;
  }
  if (tproc_in_space() != 1) {
    fprintf(stderr, "spawn_inside: not in a space: run it with tproc run\n");
    return 2;
  }
  char* program[] = {argv[2], NULL};
  double* posix_ns = calloc((size_t)runs, sizeof(double));
  double* tproc_ns = calloc((size_t)runs, sizeof(double));
  if (posix_ns == NULL || tproc_ns == NULL) return 1;
  for (int i = 0; i < 5; ++i)  // warm-up: the daemon's interpreter stock, the page cache
    if (with_posix_spawn(program) < 0 || with_tproc_spawn(program) < 0) {
      fprintf(stderr, "spawn_inside: warm-up start of %s failed\n", argv[2]);
      return 1;
    }
  for (int i = 0; i < runs; ++i) {
    for (int turn = 0; turn < 2; ++turn) {  // alternate which goes first
      const int tproc_turn = (turn + i) % 2;
      const double start = now_ns();
      const int failed = tproc_turn ? with_tproc_spawn(program) : with_posix_spawn(program);
      const double elapsed = now_ns() - start;
      if (failed) {
        fprintf(stderr, "spawn_inside: run %d (%s) of %s failed\n", i, tproc_turn ? "tproc_spawn" : "posix_spawn", argv[2]);
        return 1;
      }
      (tproc_turn ? tproc_ns : posix_ns)[i] = elapsed;
    }
  }
  const struct stats posix = summarize(posix_ns, runs), tprocd = summarize(tproc_ns, runs);
  printf("from inside a tproc, %d runs each:\n", runs);
  printf("%-28s %9.3f %9.3f %9s %9.3f\n", "posix_spawn+waitpid", posix.p50 / 1e6, posix.mean / 1e6, "", posix.min / 1e6);
  printf("%-28s %9.3f %9.3f %9s %9.3f\n", "tproc_spawn+child_wait", tprocd.p50 / 1e6, tprocd.mean / 1e6, "",
         tprocd.min / 1e6);
  printf("%-28s %8.2fx %8.2fx %9s %8.2fx\n", "ratio tproc_spawn / posix", tprocd.p50 / posix.p50,
         tprocd.mean / posix.mean, "", tprocd.min / posix.min);
  printf("goal (issue 18): tproc_spawn at most 0.7x of posix_spawn\n");
  free(posix_ns);
  free(tproc_ns);
  return 0;
}
