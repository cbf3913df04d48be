// world_stopper: stops the world of its space (tproc_stop_world) and reports what it found, one
// line per stopped thread: "thread PID TID state S sp-in-stack yes|no", where S is the thread's
// state letter from /proc while stopped ("t": stopped by a tracer) and sp-in-stack says whether
// its stack pointer lies in a writable mapping (a stack). Then "stopped N", resumes the world
// (tproc_start_world), and prints "resumed" and each thread's state again ("after PID TID S").

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tproc/tproc.h>

/// The thread's state letter from /proc/PID/task/TID/stat.
static char state_of(int pid, int tid) {
  char path[96], text[512];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
  FILE* file = fopen(path, "re");
  if (!file) return '?';
  size_t got = fread(text, 1, sizeof(text) - 1, file);
  fclose(file);
  text[got] = '\0';
  const char* paren = strrchr(text, ')');
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

/// Whether `address` lies in a readable and writable mapping of the space (/proc/self/maps).
static int in_writable_mapping(uint64_t address) {
  FILE* maps = fopen("/proc/self/maps", "re");
  if (!maps) return 0;
  char line[512];
  int found = 0;
  while (!found && fgets(line, sizeof(line), maps)) {
    unsigned long long begin, end;
    char perms[8];
    if (sscanf(line, "%llx-%llx %7s", &begin, &end, perms) == 3 && address >= begin && address < end)
      found = perms[0] == 'r' && perms[1] == 'w';
  }
  fclose(maps);
  return found;
}

int main(void) {
  struct tproc_thread_context contexts[256];
  size_t needed = 0;
  long stopped = tproc_stop_world(contexts, 256, &needed);
  if (stopped < 0) {
    printf("tproc_stop_world: %s (needed %zu)\n", strerror((int)-stopped), needed);
    return 1;
  }
  for (long i = 0; i < stopped; ++i)
    printf("thread %d %d state %c sp-in-stack %s\n", contexts[i].pid, contexts[i].tid,
           state_of(contexts[i].pid, contexts[i].tid), in_writable_mapping(contexts[i].stack_pointer) ? "yes" : "no");
  printf("stopped %ld\n", stopped);
  int resumed = tproc_start_world(contexts, (size_t)stopped);
  printf("resumed %d\n", resumed);
  for (long i = 0; i < stopped; ++i)
    printf("after %d %d %c\n", contexts[i].pid, contexts[i].tid, state_of(contexts[i].pid, contexts[i].tid));
  return 0;
}
