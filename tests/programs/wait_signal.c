// wait_signal SIGNAL: handles SIGNAL (e.g. INT, SIGUSR1, 10), prints "ready", waits for it,
// prints "got SIGxxx" and exits 0. Every other signal keeps its default action.

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "signal_names.h"

static volatile sig_atomic_t received = 0;

static void on_signal(int number) { received = number; }

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wait_signal SIGNAL\n");
    return 2;
  }
  int number = signal_from_name(argv[1]);
  if (number == 0) {
    fprintf(stderr, "wait_signal: unknown signal %s\n", argv[1]);
    return 2;
  }
  // Block the signal while announcing readiness so it cannot slip in before sigsuspend.
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  sigaddset(&blocked, number);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  sigdelset(&waiting, number);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  if (sigaction(number, &action, NULL) != 0) {
    perror("wait_signal: sigaction");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  while (!received) sigsuspend(&waiting);
  printf("got SIG%s\n", signal_short_name(received));
  return 0;
}
