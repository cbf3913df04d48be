// Prints what prctl(PR_GET_DUMPABLE) says of this process's mm: 1 when it may dump core, 0 not.
#include <stdio.h>
#include <sys/prctl.h>

int main(void) {
  printf("%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  return 0;
}
