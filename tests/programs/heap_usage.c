/* heap_usage: prints what the space heap holds, one "key=value" per line. Links libtproc.
 * With COUNT SIZE, first allocates COUNT blocks of SIZE bytes and frees them all (a tproc that
 * churns the heap and exits). Exits 2 outside a space, 1 when an allocation fails. */
#include <stdio.h>
#include <stdlib.h>

#include <tproc/tproc.h>

int main(int argc, char** argv) {
  if (argc == 3) {
    const long count = atol(argv[1]);
    const size_t size = (size_t)atol(argv[2]);
    void** blocks = calloc((size_t)count, sizeof(void*));
    if (blocks == NULL) return 1;
    for (long i = 0; i < count; ++i)
      if ((blocks[i] = tproc_heap_alloc(size)) == NULL) {
        perror("tproc_heap_alloc");
        return 1;
      }
    for (long i = 0; i < count; ++i) tproc_heap_free(blocks[i]);
    free(blocks);
  }
  struct tproc_heap_stats usage;
  int result = tproc_heap_usage(&usage);
  if (result < 0) {
    printf("tproc_heap_usage: %d\n", result);
    return 2;
  }
  printf("bytes_in_use=%llu\nblocks_in_use=%llu\nbytes_carved=%llu\nbytes_reserved=%llu\n",
         (unsigned long long)usage.bytes_in_use, (unsigned long long)usage.blocks_in_use,
         (unsigned long long)usage.bytes_carved, (unsigned long long)usage.bytes_reserved);
  return 0;
}
