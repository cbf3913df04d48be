// unmap_vdso: does to the space's vDSO and vvar pages what valgrind and a ctypes munmap do --
// munmap, mprotect PROT_NONE, mremap elsewhere, mmap MAP_FIXED over them -- and prints one line per
// call: "munmap [vdso]: refused (Operation not permitted)" or "munmap [vdso]: done". Then it calls
// clock_gettime through the vDSO. Exits 0 when every call was refused and the clock still works,
// 1 when one succeeded (run directly, that is what happens: it then dies on its next clock call).

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct range {
  unsigned long begin, end;
};

static int find(const char* name, struct range* found) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) return 0;
  char line[512];
  int ok = 0;
  while (fgets(line, sizeof(line), maps)) {
    if (!strstr(line, name)) continue;
    if (sscanf(line, "%lx-%lx", &found->begin, &found->end) == 2) ok = 1;
    break;
  }
  fclose(maps);
  return ok;
}

static int refused = 0, done = 0;

static void report(const char* call, const char* what, int failed) {
  if (failed) {
    printf("%s %s: refused (%s)\n", call, what, strerror(errno));
    ++refused;
  } else {
    printf("%s %s: done\n", call, what);
    ++done;
  }
  fflush(stdout);
}

int main(void) {
  struct range vdso, vvar;
  const unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
  if (!find("[vdso]", &vdso) || !find("[vvar]", &vvar)) {
    fprintf(stderr, "unmap_vdso: no [vdso] or [vvar] in /proc/self/maps\n");
    return 2;
  }
  if (ehdr != vdso.begin) printf("note: AT_SYSINFO_EHDR 0x%lx, [vdso] at 0x%lx\n", ehdr, vdso.begin);
  void* at = (void*)vdso.begin;
  const size_t size = vdso.end - vdso.begin;
  report("mprotect", "[vdso]", mprotect(at, size, PROT_NONE) != 0);
  report("mremap", "[vdso]", mremap(at, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)(vdso.begin - (64UL << 20))) == MAP_FAILED);
  report("mmap MAP_FIXED", "[vdso]", mmap(at, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED);
  report("munmap", "[vvar]", munmap((void*)vvar.begin, vvar.end - vvar.begin) != 0);
  report("munmap", "[vdso]", munmap(at, size) != 0);
  struct timespec now;
  for (int i = 0; i < 1000; ++i) clock_gettime(CLOCK_MONOTONIC, &now);
  printf("clock_gettime works: %ld\n", (long)now.tv_sec);
  return done == 0 && refused == 5 ? 0 : 1;
}
