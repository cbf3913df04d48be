// canary [MIB]: a sibling that proves it was unharmed. Fills MIB MiB (default 16) with a pattern,
// prints "ready" and waits for SIGUSR1; then checks every byte, allocates fresh memory (a large
// malloc and an anonymous mmap, both of which go through the space's mapping calls) and prints
// "intact" (exit 0), "corrupted at offset N" (exit 1) or "allocation failed: REASON" (exit 2).

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static unsigned char pattern_at(size_t offset) { return (unsigned char)((offset * 2654435761u) >> 13); }

int main(int argc, char** argv) {
  size_t mib = argc >= 2 ? strtoul(argv[1], NULL, 10) : 16;
  size_t size = mib << 20;
  // Block SIGUSR1 before announcing readiness so it cannot arrive before sigwait.
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGUSR1);
  sigprocmask(SIG_BLOCK, &wanted, NULL);

  unsigned char* block = malloc(size);
  if (block == NULL) {
    printf("allocation failed: malloc %zu MiB at start\n", mib);
    return 2;
  }
  for (size_t i = 0; i < size; ++i) block[i] = pattern_at(i);
  printf("ready\n");
  fflush(stdout);

  int got = 0;
  while (sigwait(&wanted, &got) != 0) {
  }
  for (size_t i = 0; i < size; ++i) {
    if (block[i] != pattern_at(i)) {
      printf("corrupted at offset %zu\n", i);
      return 1;
    }
  }
  unsigned char* fresh = malloc(4 << 20);  // above the mmap threshold: a new mapping
  if (fresh == NULL) {
    printf("allocation failed: malloc 4 MiB: %s\n", strerror(errno));
    return 2;
  }
  memset(fresh, 0x5a, 4 << 20);
  void* page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    printf("allocation failed: mmap: %s\n", strerror(errno));
    return 2;
  }
  memset(page, 0xa5, 65536);
  printf("intact\n");
  return 0;
}
