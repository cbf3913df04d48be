// hello: the smallest program to run in a space. It prints its own pid: every tproc is its own
// Linux process, even though it shares its address space with the other programs in the space.

#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("hello from tproc (pid %d)\n", (int)getpid());
  return 0;
}
