// debug_target: a program for `tproc maps` and `tproc debug` to look into. A worker thread waits
// forever (so a debugger lists two threads); the main thread ticks every 20 ms: it counts in the
// global debug_ticks, calls outer_step -> inner_step (two named frames, a local `doubled`), which
// calls the library function tproc_test_bar (libtproc_test_bar.so), and prints "tick N".

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

const char* tproc_test_bar(void);

volatile long debug_ticks = 0;  // the global a debugger prints

static void* idle_worker(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

__attribute__((noinline)) int inner_step(long value) {
  volatile long doubled = value * 2;  // the local a debugger prints
  const char* greeting = tproc_test_bar();
  return (int)(doubled + (greeting[0] != 0));
}

__attribute__((noinline)) int outer_step(long value) { return inner_step(value) + 1; }

int main(void) {
  pthread_t worker;
  if (pthread_create(&worker, NULL, idle_worker, NULL) != 0) return 1;
  for (;;) {
    ++debug_ticks;
    outer_step(debug_ticks);
    printf("tick %ld\n", debug_ticks);
    fflush(stdout);
    const struct timespec interval = {0, 20 * 1000 * 1000};
    nanosleep(&interval, NULL);
  }
}
