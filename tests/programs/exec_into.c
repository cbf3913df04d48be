// exec_into PROGRAM [ARGS...]: maps some memory (so there is something to give back), then
// replaces itself with PROGRAM (a path) and ARGS. Exits 127 if the exec fails.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exec_into PROGRAM [ARGS...]\n");
    return 2;
  }
  char* held = malloc(8 << 20);
  if (held != NULL) memset(held, 7, 8 << 20);
  execv(argv[1], argv + 1);
  fprintf(stderr, "exec_into: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}
