/* tproc-ready-wait --owner PID NAME...: the supervisor of a compose app starts this inside the
 * space (an ordinary tproc, attached, stdio on /dev/null) to learn when a service is ready: it
 * sleeps in tproc_wait() on the registry's futex until every NAME is READY and owned by the tproc
 * PID, then exits 0. No polling: the registry is memory of the space, whose futexes only a tproc can
 * wait on, which is why this is a program in the space and not a loop in the supervisor.
 * An endpoint of the same name owned by another tproc (an instance being replaced) is waited out
 * with tproc_wait_gone(). Exit 2: usage or not in a space; 3: a registry error. The supervisor
 * ends it with SIGKILL when it no longer needs the answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tproc/tproc.h>

static int wait_ready(const char* name, int owner) {
  for (;;) {
    void* address = NULL;
    int waited = tproc_wait(name, -1, &address);
    if (waited == -EINTR) continue;
    if (waited < 0) {
      fprintf(stderr, "tproc-ready-wait: %s: %s\n", name, strerror(-waited));
      return 3;
    }
    struct tproc_endpoint endpoint;
    if (tproc_query(name, &endpoint) < 0) continue; /* withdrawn in between: wait again */
    if (endpoint.state == TPROC_ENDPOINT_READY && (owner == 0 || endpoint.owner_pid == owner)) return 0;
    tproc_wait_gone(name, endpoint.generation, -1);
  }
}

int main(int argc, char** argv) {
  int owner = 0;
  int first = 1;
  if (argc >= 3 && strcmp(argv[1], "--owner") == 0) {
    owner = atoi(argv[2]);
    first = 3;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: tproc-ready-wait [--owner PID] NAME...\n");
    return 2;
  }
  if (tproc_in_space() != 1) {
    fprintf(stderr, "tproc-ready-wait: not in a tproc space\n");
    return 2;
  }
  for (int i = first; i < argc; ++i) {
    int status = wait_ready(argv[i], owner);
    if (status != 0) return status;
  }
  return 0;
}
