// sbrk_heap [hold BYTE]: keeps a heap with sbrk, as old allocators and static libcs do, and says
// what it sees, with no addresses (a direct run and a tproc print the same):
//   grew / at its end / shrank / regrown pages are zero / kept / a huge sbrk fails / malloc works
// With `hold BYTE`: fills its heap with BYTE, prints "filled", waits for its stdin to end, and
// prints "intact" if the heap still holds BYTE everywhere (another program moving its own break
// meanwhile must not have touched it). Exits 0 when everything held, 1 at the first surprise.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const long kHeap = 1 << 20;

static int fail(const char* what) {
  printf("unexpected: %s\n", what);
  return 1;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char* base = sbrk(0);
  if (base == (void*)-1) return fail("sbrk(0) failed");
  if (sbrk(kHeap) != base) return fail("sbrk did not grow from the break");
  printf("grew %ld\n", kHeap);
  memset(base, 0xab, kHeap);
  if ((char*)sbrk(0) != base + kHeap) return fail("the break is not at the heap's end");
  printf("at its end\n");

  if (sbrk(-kHeap / 2) == (void*)-1 || (char*)sbrk(0) != base + kHeap / 2) return fail("sbrk did not shrink");
  printf("shrank to %ld\n", kHeap / 2);
  if (sbrk(kHeap / 2) == (void*)-1) return fail("sbrk did not grow again");
  for (long i = kHeap / 2; i < kHeap; ++i)
    if (base[i] != 0) return fail("a page given back came back with old contents");
  printf("regrown pages are zero\n");
  for (long i = 0; i < kHeap / 2; ++i)
    if ((unsigned char)base[i] != 0xab) return fail("the heap lost what it kept");
  printf("kept %ld\n", kHeap / 2);

  errno = 0;
  if (sbrk((intptr_t)1 << 46) != (void*)-1 || errno != ENOMEM) return fail("a 64 TiB sbrk did not fail with ENOMEM");
  if ((char*)sbrk(0) != base + kHeap) return fail("a failed sbrk moved the break");
  printf("a huge sbrk fails\n");

  char* block = malloc(3 << 20);
  if (!block) return fail("malloc");
  memset(block, 1, 3 << 20);
  free(block);
  printf("malloc works\n");

  if (argc > 2 && strcmp(argv[1], "hold") == 0) {
    const unsigned char byte = (unsigned char)atoi(argv[2]);
    memset(base, byte, kHeap);
    printf("filled\n");
    char discard[256];
    while (fread(discard, 1, sizeof(discard), stdin) > 0) {}
    for (long i = 0; i < kHeap; ++i)
      if ((unsigned char)base[i] != byte) return fail("another program changed this heap");
    printf("intact\n");
  }
  return 0;
}
