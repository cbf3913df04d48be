// close_stdio STATUS: prints "closing", closes descriptors 0, 1 and 2, keeps working without them
// (allocates, opens a file that takes descriptor 0) and exits with STATUS.

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int status = argc >= 2 ? atoi(argv[1]) : 0;
  printf("closing\n");
  fflush(stdout);
  close(0);
  close(1);
  close(2);
  char* buffer = malloc(1 << 20);
  if (buffer == NULL) return 90;
  memset(buffer, 1, 1 << 20);
  int fd = open("/dev/null", O_RDONLY);
  if (fd != 0) return 91;  // the lowest free descriptor is 0 again
  close(fd);
  free(buffer);
  return status;
}
