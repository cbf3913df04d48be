// spawner [OPTIONS] -- PROGRAM ARGS...: starts PROGRAM in its own space with tproc_spawn() and
// reports, one line each on stdout:
//   "spawned pid PID id ID"            once it runs,
//   "child: LINE"                      for each line it writes, with --pipe,
//   "exited N" / "killed SIGNAL"       how it ended (tproc_child_wait),
//   "spawn failed: ENAME"              or "wait failed: ENAME" (the negative errno's name).
// Options:
//   -p                 tproc_spawnp (PATH search) instead of tproc_spawn
//   -e KEY=VALUE       the program's environment is exactly the -e entries (default: ours)
//   --pipe             the program's stdout is a pipe that spawner reads
//   --close FD         a close file action
//   --dup2 FD:NEWFD    a dup2 file action
//   --open FD:PATH     an open file action (O_RDONLY)
//   --name NAME, --cwd DIR   tproc_spawnattr_setname / setcwd
//   --block-usr1       the program's signal mask is {SIGUSR1} (tproc_spawnattr_setsigmask)
//   --after-line       print "waiting for a line", then read one from stdin before spawning (a test
//                      kills the daemon in between)
//   --repeat N         spawn and wait N times, printing only failures and the last status
//   --shared TEXT      TEXT goes to a buffer on spawner's stack; each argument "@SHARED@" becomes
//                      its address (hex), and after the wait spawner prints "buffer: CONTENTS"
// Exits 0 when the spawns and waits succeeded, 1 when one failed, 2 on bad usage.
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tproc/tproc.h>

static const char* errno_name(int code) {
  switch (code) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOTCONN: return "ENOTCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPERM: return "EPERM";
    case EMFILE: return "EMFILE";
    case E2BIG: return "E2BIG";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return strerror(code);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: spawner [-p] [-e KEY=VALUE]... [--pipe] [--close FD] [--dup2 FD:NEWFD] [--open FD:PATH] "
                  "[--name NAME] [--cwd DIR] [--block-usr1] [--after-line] [--repeat N] -- PROGRAM ARGS...\n");
  return 2;
}

int main(int argc, char** argv) {
  int search = 0, pipe_stdout = 0, after_line = 0, repeat = 1;
  char shared[64] = "", shared_address[32] = "";
  int use_shared = 0;
  char* env[64];
  int env_count = 0, use_env = 0;
  tproc_spawn_file_actions_t actions;
  tproc_spawnattr_t attr;
  tproc_spawn_file_actions_init(&actions);
  tproc_spawnattr_init(&attr);
  int i = 1;
  for (; i < argc; ++i) {
    const char* arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--") == 0) {
      ++i;
      break;
    } else if (strcmp(arg, "-p") == 0) {
      search = 1;
    } else if (strcmp(arg, "--pipe") == 0) {
      pipe_stdout = 1;
    } else if (strcmp(arg, "--after-line") == 0) {
      after_line = 1;
    } else if (strcmp(arg, "--block-usr1") == 0) {
      sigset_t mask;
      sigemptyset(&mask);
      sigaddset(&mask, SIGUSR1);
      tproc_spawnattr_setsigmask(&attr, &mask);
    } else if (value == NULL) {
      return usage();
    } else if (strcmp(arg, "-e") == 0 && env_count < 63) {
      env[env_count++] = argv[++i];
      use_env = 1;
    } else if (strcmp(arg, "--close") == 0) {
      tproc_spawn_file_actions_addclose(&actions, atoi(argv[++i]));
    } else if (strcmp(arg, "--dup2") == 0) {
      const char* colon = strchr(argv[++i], ':');
      if (colon == NULL) return usage();
      tproc_spawn_file_actions_adddup2(&actions, atoi(argv[i]), atoi(colon + 1));
    } else if (strcmp(arg, "--open") == 0) {
      const char* colon = strchr(argv[++i], ':');
      if (colon == NULL) return usage();
      tproc_spawn_file_actions_addopen(&actions, atoi(argv[i]), colon + 1, O_RDONLY, 0);
    } else if (strcmp(arg, "--name") == 0) {
      tproc_spawnattr_setname(&attr, argv[++i]);
    } else if (strcmp(arg, "--cwd") == 0) {
      tproc_spawnattr_setcwd(&attr, argv[++i]);
    } else if (strcmp(arg, "--shared") == 0) {
      snprintf(shared, sizeof shared, "%s", argv[++i]);
      snprintf(shared_address, sizeof shared_address, "%lx", (unsigned long)(uintptr_t)shared);
      use_shared = 1;
    } else if (strcmp(arg, "--repeat") == 0) {
      repeat = atoi(argv[++i]);
    } else {
      return usage();
    }
  }
  if (i >= argc || repeat < 1) return usage();
  env[env_count] = NULL;
  char** program = argv + i;
  for (char** word = program; use_shared && *word != NULL; ++word)
    if (strcmp(*word, "@SHARED@") == 0) *word = shared_address;

  if (after_line) {
    // Said once the program runs (a test kills the daemon only then: a tproc whose listener the
    // daemon has not yet handed to its keeper would lose its mapping calls with it), and the line
    // read with read(2), so that nothing between the kill and the spawn needs to map memory.
    printf("waiting for a line\n");
    fflush(stdout);
    char byte = 0;
    while (byte != '\n')
      if (read(0, &byte, 1) != 1) return 1;
  }
  int pipe_fds[2] = {-1, -1};
  if (pipe_stdout) {
    // Both ends close-on-exec: the program gets only what the dup2 action makes its stdout.
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return 1;
    tproc_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  }

  int status = 0;
  for (int run = 0; run < repeat; ++run) {
    tproc_child* child = NULL;
    const int spawned = (search ? tproc_spawnp : tproc_spawn)(&child, program[0], &actions, &attr, program,
                                                                  use_env ? env : NULL);
    if (spawned < 0) {
      printf("spawn failed: %s\n", errno_name(-spawned));
      return 1;
    }
    if (repeat == 1) printf("spawned pid %d id %llu\n", (int)tproc_child_pid(child),
                            (unsigned long long)tproc_child_id(child));
    fflush(stdout);
    if (pipe_stdout) {
      close(pipe_fds[1]);  // ours: the pipe ends when the program's copy closes
      FILE* from_child = fdopen(pipe_fds[0], "r");
      char line[4096];
      while (from_child != NULL && fgets(line, sizeof line, from_child) != NULL) printf("child: %s", line);
      fflush(stdout);
    }
    const int waited = tproc_child_wait(child, -1, &status);
    tproc_child_release(child);
    if (waited < 0) {
      printf("wait failed: %s\n", errno_name(-waited));
      return 1;
    }
  }
  if (use_shared) printf("buffer: %s\n", shared);
  if (WIFEXITED(status)) printf("exited %d\n", WEXITSTATUS(status));
  else printf("killed %d\n", WTERMSIG(status));
  tproc_spawn_file_actions_destroy(&actions);
  tproc_spawnattr_destroy(&attr);
  return 0;
}
