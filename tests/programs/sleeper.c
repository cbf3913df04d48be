// sleeper SECONDS [ignore-term]: prints "sleeping", then sleeps SECONDS (fractions allowed) and
// exits 0. With ignore-term it ignores SIGTERM, so only SIGKILL ends it early.

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sleeper SECONDS [ignore-term]\n");
    return 2;
  }
  double seconds = strtod(argv[1], NULL);
  if (argc >= 3 && strcmp(argv[2], "ignore-term") == 0) signal(SIGTERM, SIG_IGN);
  printf("sleeping\n");
  fflush(stdout);
  struct timespec left = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  return 0;
}
