// map_lots FILE [hold]: maps memory every way a program does and gives none of it back: large
// malloc blocks, thousands of small ones, threads (stacks and malloc arenas), dlopen of libm, a
// mapping of FILE, and an anonymous mapping grown with mremap. Prints "mapped SUM" and exits 0, or
// with `hold` prints it and sleeps until killed. Whatever is left must be reclaimed by the space.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { kThreads = 4, kBigBlocks = 8, kBigSize = 4 << 20, kSmallBlocks = 20000 };

static void* thread_work(void* arg) {
  size_t index = (size_t)arg;
  // Each thread allocates in its own arena (a fresh 64 MiB reservation) and leaks it.
  char* small = malloc(1000 + index);
  char* big = malloc(2 << 20);
  if (small == NULL || big == NULL) return (void*)1;
  memset(small, (int)index, 1000 + index);
  memset(big, (int)index, 2 << 20);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: map_lots FILE [hold]\n");
    return 2;
  }
  unsigned long sum = 0;
  for (int i = 0; i < kBigBlocks; ++i) {
    char* block = malloc(kBigSize);
    if (block == NULL) return 3;
    memset(block, i, kBigSize);
    sum += (unsigned char)block[kBigSize - 1];
  }
  for (int i = 0; i < kSmallBlocks; ++i) {
    char* block = malloc(64 + i % 512);
    if (block == NULL) return 4;
    block[0] = (char)i;
  }

  pthread_t threads[kThreads];
  for (size_t i = 0; i < kThreads; ++i)
    if (pthread_create(&threads[i], NULL, thread_work, (void*)i) != 0) return 5;
  for (size_t i = 0; i < kThreads; ++i) {
    void* failed = NULL;
    pthread_join(threads[i], &failed);
    if (failed != NULL) return 6;
  }

  void* libm = dlopen("libm.so.6", RTLD_NOW);
  if (libm == NULL) {
    fprintf(stderr, "map_lots: dlopen libm.so.6: %s\n", dlerror());
    return 7;
  }
  double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
  if (cosine == NULL) return 8;
  sum += (unsigned long)(cosine(0.0) * 10);  // 10

  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    perror("map_lots: open FILE");
    return 9;
  }
  const unsigned char* file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (file == MAP_FAILED) {
    perror("map_lots: mmap FILE");
    return 10;
  }
  close(fd);
  for (off_t i = 0; i < st.st_size; ++i) sum += file[i];

  char* grown = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (grown == MAP_FAILED) return 11;
  memset(grown, 1, 1 << 20);
  grown = mremap(grown, 1 << 20, 8 << 20, MREMAP_MAYMOVE);
  if (grown == MAP_FAILED) return 12;
  memset(grown, 2, 8 << 20);

  printf("mapped %lu\n", sum);
  fflush(stdout);
  if (argc >= 3 && strcmp(argv[2], "hold") == 0)
    for (;;) pause();
  return 0;
}
