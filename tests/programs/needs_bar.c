// needs_bar: a program that needs a custom library chain (libtproc_test_bar.so, which needs
// libtproc_test_foo.so), found through its RUNPATH $ORIGIN/lib. Prints "bar: <foo's greeting>".

#include <stdio.h>

const char* tproc_test_bar(void);

int main(void) {
  printf("bar: %s\n", tproc_test_bar());
  return 0;
}
