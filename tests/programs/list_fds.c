// list_fds: prints the number of every open file descriptor, one per line, ascending,
// leaving out the descriptor of the /proc/self/fd directory stream it reads them with.

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

int main(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    perror("list_fds: /proc/self/fd");
    return 1;
  }
  int own = dirfd(dir);
  int fds[4096];
  size_t count = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && count < sizeof fds / sizeof fds[0]) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd != own) fds[count++] = fd;
  }
  closedir(dir);
  qsort(fds, count, sizeof fds[0], by_value);
  for (size_t i = 0; i < count; ++i) printf("%d\n", fds[i]);
  return 0;
}
