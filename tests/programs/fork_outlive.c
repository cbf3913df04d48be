// fork_outlive FILE: forks a child and exits 0 at once. The child waits until its parent has
// exited (its end of a pipe closes), waits a little more (so the space daemon has seen the exit),
// then allocates memory (a large malloc and an anonymous mmap: mapping calls after its parent is
// gone) and writes "child ok" to FILE, or "child failed: REASON".

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void report(const char* path, const char* text) {
  // Written to a temp name and renamed, so a reader never sees half of it.
  char temp[4096];
  snprintf(temp, sizeof temp, "%s.tmp", path);
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  (void)!write(fd, text, strlen(text));
  close(fd);
  rename(temp, path);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fork_outlive FILE\n");
    return 2;
  }
  int alive[2];
  if (pipe(alive) != 0) return 3;
  pid_t child = fork();
  if (child < 0) {
    perror("fork_outlive: fork");
    return 4;
  }
  if (child > 0) {
    printf("forked %d\n", (int)child);
    return 0;  // the parent's end of the pipe closes with it
  }
  close(alive[1]);
  close(0);
  close(1);
  close(2);  // nothing keeps the parent's client waiting on our copies of its stdio
  char byte;
  while (read(alive[0], &byte, 1) != 0) {
  }
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);

  char text[512];
  char* block = malloc(16 << 20);
  if (block == NULL) {
    snprintf(text, sizeof text, "child failed: malloc: %s\n", strerror(errno));
    report(argv[1], text);
    return 1;
  }
  memset(block, 3, 16 << 20);
  void* page = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    snprintf(text, sizeof text, "child failed: mmap: %s\n", strerror(errno));
    report(argv[1], text);
    return 1;
  }
  memset(page, 4, 1 << 20);
  munmap(page, 1 << 20);
  free(block);
  report(argv[1], "child ok\n");
  return 0;
}
