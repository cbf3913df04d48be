/* arch_probe: reports what a program finds at its entry point, for tests/arch/trampoline_test.cpp.
 *
 * Built twice: as a dynamically linked PIE (entered through ld.so) and as a static PIE (entered
 * directly, relocating itself). Knows nothing of tproc. Prints one "key value" line per fact:
 *   argc N / argv I TEXT / argv_address 0x...   where argv lies (the initial stack pointer + 8)
 *   stack_auxv TYPE VALUE                       the auxv that follows envp on the initial stack
 *   getauxval NAME VALUE                        what libc's getauxval answers
 *   random HEX / execfn TEXT / platform TEXT    what AT_RANDOM, AT_EXECFN, AT_PLATFORM point at
 *   proc_auxv TYPE VALUE                        /proc/self/auxv (the mm's saved auxv)
 *   sigusr1 ignored|default / blocked N / comm TEXT
 *   entry_thread_pointer 0x...                  the thread pointer at the executable's own entry
 *                                               (arch_probe_entry, before libc's _start): none
 *                                               after execve; ld.so's TLS for the dynamic build
 * and exits with exit(0), which runs the atexit hooks: a static program that was entered with a
 * non-zero rtld_fini register (rdx on x86_64, x0 on aarch64) would call garbage there. */
#define _GNU_SOURCE
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "tproc/auxv.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* The executable's entry point (-e arch_probe_entry): records the thread pointer, then goes on to
 * libc's _start with the entry registers untouched (the stack pointer at argc, the rtld_fini
 * register). A static PIE is not relocated yet here: the store is PC-relative. */
unsigned long arch_probe_entry_thread_pointer __attribute__((visibility("hidden")));
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl arch_probe_entry\n"
        "arch_probe_entry:\n"
        "  mov $158, %eax\n"                                    /* arch_prctl */
        "  mov $0x1003, %edi\n"                                 /* ARCH_GET_FS */
        "  lea arch_probe_entry_thread_pointer(%rip), %rsi\n"
        "  syscall\n"                                           /* keeps rdx and rsp */
        "  jmp _start\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl arch_probe_entry\n"
        "arch_probe_entry:\n"
        "  mrs x9, tpidr_el0\n"
        "  adrp x10, arch_probe_entry_thread_pointer\n"
        "  str x9, [x10, #:lo12:arch_probe_entry_thread_pointer]\n"
        "  b _start\n");
#endif

static void print_getauxval(const char* name, unsigned long type) {
  printf("getauxval %s 0x%lx\n", name, getauxval(type));
}

int main(int argc, char** argv, char** envp) {
  printf("argc %d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv %d %s\n", i, argv[i]);
  printf("argv_address 0x%lx\n", (unsigned long)(uintptr_t)argv);

  /* The initial auxv: right after envp's NULL (envp as main received it, before anyone edits it). */
  char** cursor = envp;
  while (*cursor) ++cursor;
  for (const Elf64_auxv_t* entry = (const Elf64_auxv_t*)(cursor + 1); ; ++entry) {
    printf("stack_auxv 0x%lx 0x%lx\n", (unsigned long)entry->a_type, (unsigned long)entry->a_un.a_val);
    if (entry->a_type == AT_NULL) break;
  }

  print_getauxval("AT_PAGESZ", AT_PAGESZ);
  print_getauxval("AT_HWCAP", AT_HWCAP);
  print_getauxval("AT_HWCAP2", AT_HWCAP2);
  print_getauxval("AT_PHDR", AT_PHDR);
  print_getauxval("AT_PHNUM", AT_PHNUM);
  print_getauxval("AT_ENTRY", AT_ENTRY);
  print_getauxval("AT_BASE", AT_BASE);
  print_getauxval("AT_RANDOM", AT_RANDOM);
  print_getauxval("AT_EXECFN", AT_EXECFN);
  print_getauxval("AT_PLATFORM", AT_PLATFORM);
  print_getauxval("AT_SECURE", AT_SECURE);
  print_getauxval("AT_MINSIGSTKSZ", AT_MINSIGSTKSZ);
  print_getauxval("AT_SYSINFO_EHDR", AT_SYSINFO_EHDR);
  print_getauxval("TPROC_AT_REGISTRY", TPROC_AT_REGISTRY);

  const unsigned char* random_bytes = (const unsigned char*)getauxval(AT_RANDOM);
  if (random_bytes) {
    printf("random ");
    for (int i = 0; i < 16; ++i) printf("%02x", random_bytes[i]);
    printf("\n");
  }
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  if (execfn) printf("execfn %s\n", execfn);
  const char* platform = (const char*)getauxval(AT_PLATFORM);
  if (platform) printf("platform %s\n", platform);

  FILE* proc_auxv = fopen("/proc/self/auxv", "rb");
  if (proc_auxv) {
    Elf64_auxv_t entry;
    while (fread(&entry, sizeof(entry), 1, proc_auxv) == 1) {
      printf("proc_auxv 0x%lx 0x%lx\n", (unsigned long)entry.a_type, (unsigned long)entry.a_un.a_val);
      if (entry.a_type == AT_NULL) break;
    }
    fclose(proc_auxv);
  }

  struct sigaction usr1;
  if (sigaction(SIGUSR1, NULL, &usr1) == 0)
    printf("sigusr1 %s\n", usr1.sa_handler == SIG_IGN ? "ignored" : usr1.sa_handler == SIG_DFL ? "default" : "handled");
  sigset_t blocked;
  sigprocmask(SIG_SETMASK, NULL, &blocked);
  int count = 0;
  for (int signal = 1; signal < NSIG; ++signal) count += sigismember(&blocked, signal) == 1;
  printf("blocked %d\n", count);

  char comm[32] = {0};
  FILE* comm_file = fopen("/proc/self/comm", "r");
  if (comm_file) {
    if (fgets(comm, sizeof(comm), comm_file)) comm[strcspn(comm, "\n")] = 0;
    fclose(comm_file);
    printf("comm %s\n", comm);
  }
  printf("entry_thread_pointer 0x%lx\n", arch_probe_entry_thread_pointer);
  exit(0);
}
