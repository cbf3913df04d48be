// clock_loop SECONDS: prints "ticking", then calls clock_gettime (through the vDSO) in a loop for
// SECONDS of CLOCK_MONOTONIC, and prints "ticked N" and exits 0. A sibling whose vDSO went away
// would die of SIGSEGV instead.

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  printf("ticking\n");
  fflush(stdout);
  unsigned long ticks = 0;
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct timespec pause = {0, 1000000};
    if (++ticks % 1000 == 0) nanosleep(&pause, NULL);
  } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
  printf("ticked %lu\n", ticks);
  return 0;
}
