// cat_stdin: copies stdin to stdout, then reports "<N> bytes" on stderr.

#include <stdio.h>
#include <unistd.h>

int main(void) {
  char buffer[65536];
  unsigned long long total = 0;
  for (;;) {
    ssize_t got = read(0, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      perror("cat_stdin: read");
      return 1;
    }
    for (ssize_t done = 0; done < got;) {
      ssize_t put = write(1, buffer + done, (size_t)(got - done));
      if (put <= 0) {
        perror("cat_stdin: write");
        return 1;
      }
      done += put;
    }
    total += (unsigned long long)got;
  }
  fprintf(stderr, "%llu bytes\n", total);
  return 0;
}
