// which_target: prints addresses for `tproc which` to explain, one "NAME=0x..." per line, then
// waits until killed: its own function which_marker, a libc function (puts), a global
// (which_global, in .data) and a zero-filled one (which_zeroed, in .bss), a local on its main
// thread's stack, a malloc'd block (its own glibc heap), and a 200-byte block of the space heap
// (tproc_heap_alloc; "space_block=none" outside a space). Links libtproc.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <tproc/tproc.h>

long which_global = 42;
char which_zeroed[256];

__attribute__((noinline)) int which_marker(int value) { return value * 3 + (int)which_global; }

int main(void) {
  volatile int local = which_marker(1);
  char* private_block = malloc(100);
  void* space_block = tproc_heap_alloc(200);
  printf("function=%p\n", (void*)which_marker);
  printf("libc=%p\n", (void*)puts);
  printf("global=%p\n", (void*)&which_global);
  printf("zeroed=%p\n", (void*)(which_zeroed + 100));
  printf("stack=%p\n", (void*)&local);
  printf("malloc=%p\n", (void*)private_block);
  if (space_block)
    printf("space_block=%p\n", (void*)((char*)space_block + 16));
  else
    printf("space_block=none\n");
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
