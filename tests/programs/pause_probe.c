// pause_probe MODE [ARG]: what a program sees when it is paused and unpaused (tproc pause).
//   tick            prints "tick N" every 10 ms, forever (is it running?)
//   sleep SECONDS   prints "ready", sleeps once; then "sleep: ok" or "sleep: EINTR", and how often
//                   a SIGCONT handler ran ("sigcont N"), and exits 0
//   read FIFO       opens FIFO, prints "ready", reads once; then "read: TEXT" or "read: EINTR",
//                   and "sigcont N"
//   threads N       starts N-1 threads that sleep in a loop, prints "ready", sleeps likewise
//   term CODE       prints "ready" and waits; its SIGTERM handler exits CODE (tproc stop of a
//                   paused tproc: the handler ran, it was not SIGKILLed)
// The SIGCONT handler is installed without SA_RESTART, so a job-control stop (SIGSTOP/SIGCONT)
// would show as EINTR and a handler call; a freezer shows neither.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigconts = 0;
static void on_sigcont(int signal) {
  (void)signal;
  ++sigconts;
}

static volatile sig_atomic_t term_code = 0;
static void on_sigterm(int signal) {
  (void)signal;
  _exit(term_code);
}

static void* sleep_forever(void* unused) {
  (void)unused;
  for (;;) {
    struct timespec nap = {0, 5 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pause_probe tick | sleep SECONDS | read FIFO | threads N | term CODE\n");
    return 2;
  }
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_sigcont;
  sigaction(SIGCONT, &action, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(argv[1], "tick") == 0) {
    for (unsigned long n = 0;; ++n) {
      printf("tick %lu\n", n);
      struct timespec pause = {0, 10 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  if (strcmp(argv[1], "sleep") == 0 && argc >= 3) {
    double seconds = strtod(argv[2], NULL);
    struct timespec left = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    printf("ready\n");
    int slept = nanosleep(&left, &left);
    printf("sleep: %s\nsigcont %d\n", slept == 0 ? "ok" : errno == EINTR ? "EINTR" : strerror(errno), (int)sigconts);
    return 0;
  }
  if (strcmp(argv[1], "read") == 0 && argc >= 3) {
    int fifo = open(argv[2], O_RDWR);  // read-write: the open does not wait for a writer
    if (fifo < 0) {
      printf("open: %s\n", strerror(errno));
      return 1;
    }
    printf("ready\n");
    char text[64];
    ssize_t got = read(fifo, text, sizeof(text) - 1);
    if (got >= 0) text[got] = '\0';
    printf("read: %s\nsigcont %d\n", got >= 0 ? text : errno == EINTR ? "EINTR" : strerror(errno), (int)sigconts);
    return 0;
  }
  if (strcmp(argv[1], "threads") == 0 && argc >= 3) {
    for (long i = 1; i < strtol(argv[2], NULL, 10); ++i) {
      pthread_t thread;
      if (pthread_create(&thread, NULL, sleep_forever, NULL) != 0) {
        printf("pthread_create failed\n");
        return 1;
      }
    }
    printf("ready\n");
    sleep_forever(NULL);
  }
  if (strcmp(argv[1], "term") == 0 && argc >= 3) {
    term_code = (sig_atomic_t)strtol(argv[2], NULL, 10);
    struct sigaction on_term;
    memset(&on_term, 0, sizeof(on_term));
    on_term.sa_handler = on_sigterm;
    sigaction(SIGTERM, &on_term, NULL);
    printf("ready\n");
    for (;;) pause();
  }
  fprintf(stderr, "pause_probe: unknown mode '%s'\n", argv[1]);
  return 2;
}
