/* A program a user writes against an installed libtproc: says whether it runs in a space, and
 * which. tests/packaging/install_test builds it with pkg-config and with find_package(tproc). */
#include <stdio.h>
#include <tproc/tproc.h>

int main(void) {
  if (!tproc_in_space()) {
    puts("not in a space");
    return 1;
  }
  printf("in space %s\n", tproc_space_name());
  return 0;
}
