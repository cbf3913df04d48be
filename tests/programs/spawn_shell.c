// spawn_shell COMMAND: runs the host's `/bin/sh -c COMMAND` with posix_spawn (the program goes on
// running while the shell does), waits for it, prints "sh exited N" and exits with N.

#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: spawn_shell COMMAND\n");
    return 2;
  }
  char* shell_argv[] = {"sh", "-c", argv[1], NULL};
  pid_t child;
  int error = posix_spawn(&child, "/bin/sh", NULL, NULL, shell_argv, environ);
  if (error != 0) {
    fprintf(stderr, "spawn_shell: posix_spawn /bin/sh: %s\n", strerror(error));
    return 127;
  }
  int status;
  if (waitpid(child, &status, 0) != child) {
    perror("spawn_shell: waitpid");
    return 1;
  }
  fflush(stdout);
  if (WIFSIGNALED(status)) {
    printf("sh killed by signal %d\n", WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  printf("sh exited %d\n", WEXITSTATUS(status));
  return WEXITSTATUS(status);
}
