// crash MODE: dies in the way MODE names.
//   nullderef          write through a null pointer (SIGSEGV)
//   abort              abort() (SIGABRT)
//   stackoverflow      unbounded recursion until the stack guard is hit (SIGSEGV)
//   thread_exit_group  a second thread calls exit_group(7) while main waits for it: status 7

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void null_deref(void) {
  volatile int* volatile target = NULL;
  *target = 1;
}

// Not a tail call: the frame's buffer is used after the recursive call returns (and the target is
// built with -O0 so no optimiser turns the recursion into a loop). depth never goes negative.
static int recurse(int depth) {
  volatile char frame[1024];
  frame[0] = (char)depth;
  if (depth < 0) return 0;
  int below = recurse(depth + 1);
  return below + frame[0];
}

static void* exit_group_from_thread(void* arg) {
  (void)arg;
  syscall(SYS_exit_group, 7);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: crash nullderef|abort|stackoverflow|thread_exit_group\n");
    return 2;
  }
  const char* mode = argv[1];
  if (strcmp(mode, "nullderef") == 0) {
    null_deref();
  } else if (strcmp(mode, "abort") == 0) {
    abort();
  } else if (strcmp(mode, "stackoverflow") == 0) {
    return recurse(0);
  } else if (strcmp(mode, "thread_exit_group") == 0) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, exit_group_from_thread, NULL) != 0) return 3;
    pthread_join(thread, NULL);  // never returns: exit_group ends the whole process
    return 4;
  } else {
    fprintf(stderr, "crash: unknown mode %s\n", mode);
    return 2;
  }
  return 5;  // the crash did not happen
}
