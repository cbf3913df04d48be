/* declared_service: an app whose manifest declares the endpoint "demo.table" by the symbol
 * greeting_table. It prints the symbol's address, says it is ready after a moment, then waits for
 * SIGTERM. Links libtproc only for tproc_ready(). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <tproc/tproc.h>

const char greeting_table[64] = "declared by the manifest";

int main(void) {
  printf("symbol at %p\n", (const void*)greeting_table);
  fflush(stdout);
  usleep(300 * 1000); /* long enough for a client to see the endpoint declared, not ready */
  printf("ready %d\n", tproc_ready(NULL));
  fflush(stdout);
  pause();
  return 0;
}
