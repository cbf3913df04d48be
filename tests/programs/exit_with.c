// exit_with CODE [OUT [ERR]]: prints OUT on stdout and ERR on stderr (each if given, each with a
// newline), then exits with CODE. The tests use it for exit statuses, to check that each client
// gets its own program's output, and that a detached program's stdout and stderr reach its log.

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exit_with CODE [OUT [ERR]]\n");
    return 2;
  }
  if (argc >= 3) printf("%s\n", argv[2]);
  if (argc >= 4) fprintf(stderr, "%s\n", argv[3]);
  return atoi(argv[1]);
}
