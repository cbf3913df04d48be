// foreign_mmap SIZE_MIB: maps SIZE_MIB of anonymous memory through another ABI's system call --
// on x86_64 the 32-bit `int 0x80` mmap2 (i386 number 192), which a 64-bit program may issue -- and
// touches it. Prints "foreign mmap: ADDRESS" or "foreign mmap: error N" (the negated errno), and
// exits 0 either way; "foreign mmap: none on this architecture" where there is no such ABI.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const unsigned long size = (unsigned long)(argc > 1 ? atol(argv[1]) : 8) << 20;
#if defined(__x86_64__)
  long result;
  // mmap2(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) in i386 numbering.
  __asm__ volatile("push %%rbp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%rbp"
                   : "=a"(result)
                   : "a"(192), "b"(0), "c"(size), "d"(3), "S"(0x22), "D"(-1)
                   : "memory", "r8", "r9", "r10", "r11");
  if (result < 0 && result > -4096) {
    printf("foreign mmap: error %ld\n", result);
    return 0;
  }
  memset((void*)(unsigned long)(unsigned int)result, 1, size);
  printf("foreign mmap: 0x%lx\n", (unsigned long)(unsigned int)result);
#else
  (void)size;
  printf("foreign mmap: none on this architecture\n");
#endif
  return 0;
}
