// print_exe [exec-self [LABEL]]: prints what a program can learn about its own executable: its
// argv, AT_EXECFN, and readlink of /proc/self/exe, /proc/thread-self/exe and /proc/PID/exe (by
// readlink and by readlinkat). With `exec-self` it first re-runs itself with
// execv("/proc/self/exe", {argv0, "ran-again", LABEL}), as clang and busybox do.

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static void show(const char* label, const char* link, int at) {
  char target[4096];
  const ssize_t length = at ? readlinkat(AT_FDCWD, link, target, sizeof(target)) : readlink(link, target, sizeof(target));
  if (length < 0) {
    printf("%s: error\n", label);
    return;
  }
  printf("%s=%.*s\n", label, (int)length, target);
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "exec-self") == 0) {
    char* again[] = {argv[0], "ran-again", argc >= 3 ? argv[2] : "", NULL};
    execv("/proc/self/exe", again);
    perror("execv /proc/self/exe");
    return 1;
  }
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  printf("execfn=%s\n", (const char*)getauxval(AT_EXECFN));
  char own[64];
  snprintf(own, sizeof(own), "/proc/%d/exe", (int)getpid());
  show("self", "/proc/self/exe", 0);
  show("thread-self", "/proc/thread-self/exe", 0);
  show("pid", own, 0);
  show("self-at", "/proc/self/exe", 1);
  // A buffer shorter than the path: readlink truncates silently and returns the bytes written.
  char small[4];
  printf("short=%zd\n", readlink("/proc/self/exe", small, sizeof(small)));
  return 0;
}
