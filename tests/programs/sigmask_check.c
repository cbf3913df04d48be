// sigmask_check: prints the signal mask and ignored set as /proc/self/status shows them
// ("SigBlk: <hex>", "SigIgn: <hex>") and the soft RLIMIT_CORE ("RLIMIT_CORE: <n>|unlimited").

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int main(void) {
  FILE* status = fopen("/proc/self/status", "r");
  if (status == NULL) {
    perror("sigmask_check: /proc/self/status");
    return 1;
  }
  char line[512];
  while (fgets(line, sizeof line, status) != NULL) {
    char hex[64];
    if (sscanf(line, "SigBlk: %63s", hex) == 1) printf("SigBlk: %s\n", hex);
    if (sscanf(line, "SigIgn: %63s", hex) == 1) printf("SigIgn: %s\n", hex);
  }
  fclose(status);
  struct rlimit core;
  if (getrlimit(RLIMIT_CORE, &core) != 0) {
    perror("sigmask_check: getrlimit");
    return 1;
  }
  if (core.rlim_cur == RLIM_INFINITY)
    printf("RLIMIT_CORE: unlimited\n");
  else
    printf("RLIMIT_CORE: %llu\n", (unsigned long long)core.rlim_cur);
  return 0;
}
