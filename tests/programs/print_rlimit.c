// print_rlimit: prints the open-files limit it runs under, "open_files=<soft> <hard>"
// ("unlimited" for RLIM_INFINITY).

#include <stdio.h>
#include <sys/resource.h>

static void print_limit(rlim_t value) {
  if (value == RLIM_INFINITY)
    printf("unlimited");
  else
    printf("%llu", (unsigned long long)value);
}

int main(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    perror("print_rlimit: getrlimit");
    return 1;
  }
  printf("open_files=");
  print_limit(limit.rlim_cur);
  printf(" ");
  print_limit(limit.rlim_max);
  printf("\n");
  return 0;
}
