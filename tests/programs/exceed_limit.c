/* exceed_limit files|memory|processes: uses more of a resource until the system says no, then
 * prints how far it got and the errno's name, and exits 0. A plain program; knows nothing of tproc. */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: exceed_limit files|memory|processes\n");
    return 2;
  }
  int count = 0;
  int error = 0;
  if (strcmp(argv[1], "files") == 0) {
    for (; count < 100000; ++count)
      if (open("/dev/null", O_RDONLY) < 0) {
        error = errno;
        break;
      }
    printf("open files: %d more, then %s\n", count, strerrorname_np(error));
  } else if (strcmp(argv[1], "memory") == 0) {
    for (; count < 4096; ++count) /* 16 MiB at a time, up to 64 GiB */
      if (mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
        error = errno;
        break;
      }
    printf("mapped: %d MiB, then %s\n", count * 16, strerrorname_np(error));
  } else if (strcmp(argv[1], "processes") == 0) {
    for (; count < 10000; ++count) {
      pid_t child = fork();
      if (child < 0) {
        error = errno;
        break;
      }
      if (child == 0) {
        pause();
        _exit(0);
      }
    }
    printf("forked: %d, then %s\n", count, strerrorname_np(error));
    fflush(stdout);
    kill(0, SIGKILL); /* the children (same process group) and us */
  } else {
    return 2;
  }
  return 0;
}
