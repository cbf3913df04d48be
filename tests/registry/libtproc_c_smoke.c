/* A C program using libtproc: outside a space it is told so, and every call says -ENOTCONN. */
#include <errno.h>
#include <stdio.h>
#include <tproc/tproc.h>

static int count_block(const struct tproc_heap_block* block, void* context) {
  (void)block;
  (void)context;
  return 1;
}

int main(void) {
  void* address = NULL;
  if (tproc_in_space() != 0 || tproc_space_name() != NULL) return 1;
  if (tproc_lookup("anything", &address, NULL) != -ENOTCONN) return 2;
  if (tproc_heap_alloc(16) != NULL || errno != ENOTCONN) return 3;
  if (tproc_kind("") != 0xcbf29ce484222325ULL) return 4;
  if (tproc_heap_walk(count_block, NULL) != -ENOTCONN) return 5;
  puts("not in a space");
  return 0;
}
