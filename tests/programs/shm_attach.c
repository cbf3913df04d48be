// shm_attach SIZE_MIB [detach]: makes a private SysV segment of SIZE_MIB, attaches it, fills it,
// marks it for removal and prints "attached ADDRESS" -- without `detach` it exits still attached,
// leaving the attachment for the space to reclaim; with `detach` it detaches and attaches again
// first. Exits 0, or 1 with the failing call's error.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char** argv) {
  const size_t size = (size_t)(argc > 1 ? atol(argv[1]) : 8) << 20;
  const int detach = argc > 2 && strcmp(argv[2], "detach") == 0;
  const int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
  if (id < 0) {
    printf("shmget: %s\n", strerror(errno));
    return 1;
  }
  char* at = shmat(id, NULL, 0);
  if (at == (void*)-1) {
    printf("shmat: %s\n", strerror(errno));
    shmctl(id, IPC_RMID, NULL);
    return 1;
  }
  if (detach) {
    if (shmdt(at) != 0) {
      printf("shmdt: %s\n", strerror(errno));
      return 1;
    }
    at = shmat(id, NULL, 0);
    if (at == (void*)-1) {
      printf("shmat again: %s\n", strerror(errno));
      shmctl(id, IPC_RMID, NULL);
      return 1;
    }
  }
  memset(at, 0x5a, size);
  shmctl(id, IPC_RMID, NULL);  // gone once the last attachment goes
  printf("attached %p\n", (void*)at);
  return 0;
}
