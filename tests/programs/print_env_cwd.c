// print_env_cwd NAME: prints "cwd=<working directory>" and "NAME=<value>" (or "NAME unset").

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: print_env_cwd NAME\n");
    return 2;
  }
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) {
    perror("print_env_cwd: getcwd");
    return 1;
  }
  printf("cwd=%s\n", cwd);
  const char* value = getenv(argv[1]);
  if (value != NULL)
    printf("%s=%s\n", argv[1], value);
  else
    printf("%s unset\n", argv[1]);
  return 0;
}
