/* heap_usage: prints what the space heap holds, one "key=value" per line. Links libtproc.
 * Exits 2 outside a space. */
#include <stdio.h>

#include <tproc/tproc.h>

int main(void) {
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
