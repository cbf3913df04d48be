// shared_string ADDRESS: ADDRESS (hex) is a raw pointer its spawner passed on its command line, to a
// NUL-terminated string in the spawner's own memory. Prints "read: TEXT" and writes "answered by
// PID" over it: both work only when the two programs share one address space (tproc_spawn), where a
// separate process would crash or read its own, different memory.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: shared_string ADDRESS\n");
    return 2;
  }
  char* text = (char*)(uintptr_t)strtoull(argv[1], NULL, 16);
  printf("read: %s\n", text);
  snprintf(text, 64, "answered by %d", (int)getpid());
  return 0;
}
