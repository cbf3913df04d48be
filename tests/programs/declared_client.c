/* declared_client NAME: waits for the endpoint NAME to be ready and prints its address and the
 * string it points at. */
#include <stdio.h>

#include <tproc/tproc.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  void* address = NULL;
  const int waited = tproc_wait(argv[1], 5000, &address);
  printf("wait %d: %p %s\n", waited, address, waited == 0 ? (const char*)address : "-");
  return waited == 0 ? 0 : 1;
}
