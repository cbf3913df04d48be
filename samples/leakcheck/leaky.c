// leaky: a program with one space-heap leak on purpose, for the leak checker to find.
//
//   leaky
//
// Allocates three blocks in the space heap: one it leaks (it drops its only pointer), one it keeps
// a pointer to on its stack, and one it reaches only through that second block. Prints
//   leaked ADDRESS / from-stack ADDRESS / from-block ADDRESS / ready
// one per line, then waits until it is stopped, the blocks left as they are.

#include <stdio.h>
#include <string.h>
#include <tproc/tproc.h>
#include <unistd.h>

/// Allocates the three blocks; returns the one kept on the stack. Out of line, so that once it
/// returns the leaked pointer is only in its dead frame, which scrub_stack() overwrites.
__attribute__((noinline)) static void** make_blocks(void) {
  char* leaked = tproc_heap_alloc(48);
  char* from_block = tproc_heap_alloc(80);
  void** from_stack = tproc_heap_alloc(64);
  if (!leaked || !from_block || !from_stack) return NULL;
  memset(leaked, 'L', 48);
  memset(from_block, 'B', 80);
  memset(from_stack, 0, 64);
  from_stack[3] = from_block;  // the only pointer to from_block
  printf("leaked %p\nfrom-stack %p\nfrom-block %p\n", (void*)leaked, (void*)from_stack, (void*)from_block);
  fflush(stdout);
  return from_stack;
}

/// Overwrites the dead stack below main's frame, where make_blocks and printf left copies of the
/// leaked pointer: a conservative scan would take them for references.
__attribute__((noinline)) static void scrub_stack(void) {
  volatile char area[32768];
  memset((char*)area, 0, sizeof(area));
}

int main(int argc, char** argv) {
  if (argc != 1) {
    fprintf(stderr, "usage: %s\n", argv[0]);
    return 2;
  }
  if (tproc_in_space() != 1) {
    fprintf(stderr, "leaky: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }
  void** volatile kept = make_blocks();  // volatile: it stays in main's frame, on the stack
  if (kept == NULL) {
    fprintf(stderr, "leaky: the space heap is full\n");
    return 1;
  }
  scrub_stack();
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
