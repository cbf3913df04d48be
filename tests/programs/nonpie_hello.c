// nonpie_hello [wait]: a non-PIE (ET_EXEC) program, linked at the fixed addresses of -no-pie.
// Prints "hello from a non-PIE program"; with "wait" it then stays alive until stdin reaches EOF,
// so a second copy can be tried while this one holds its address range.

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  printf("hello from a non-PIE program\n");
  fflush(stdout);
  if (argc >= 2 && strcmp(argv[1], "wait") == 0) {
    char buffer[256];
    while (read(0, buffer, sizeof buffer) > 0) {
    }
    printf("bye\n");
  }
  return 0;
}
