// squat_listener SOCKET LOG [UID]: an attacker's fake space daemon. Listens on SOCKET (a
// SOCK_SEQPACKET Unix socket, as a daemon does), prints "listening" once it does, then accepts
// clients and appends to LOG what each one sent: "connection", then "bytes N fds M" per
// message. With UID it binds as the caller and listens as UID (SO_PEERCRED then names UID: a
// socket someone else serves at a path the victim trusts). Runs until killed.

#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: squat_listener SOCKET LOG [UID]\n");
    return 2;
  }
  int listener = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof(address.sun_path), "%s", argv[1]);
  unlink(argv[1]);
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof(address)) < 0) {
    perror("bind");
    return 1;
  }
  if (argc > 3) {
    const unsigned uid = (unsigned)strtoul(argv[3], NULL, 10);
    if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
      perror("setresuid");
      return 1;
    }
  }
  if (listen(listener, 16) < 0) {
    perror("listen");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0) continue;
    FILE* log = fopen(argv[2], "a");
    if (log) fprintf(log, "connection\n");
    for (;;) {
      static char buffer[1 << 20];
      char control[CMSG_SPACE(sizeof(int) * 16)];
      struct iovec io = {buffer, sizeof(buffer)};
      struct msghdr header = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
      const ssize_t got = recvmsg(client, &header, 0);
      if (got <= 0) break;
      int fds = 0;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c))
        if (c->cmsg_type == SCM_RIGHTS) fds += (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      if (log) fprintf(log, "bytes %zd fds %d\n", got, fds);
      if (log) fflush(log);
    }
    if (log) fclose(log);
    close(client);
  }
}
