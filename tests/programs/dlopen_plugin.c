// dlopen_plugin LIBRARY SYMBOL: dlopen()s LIBRARY (a bare name is searched the way ld.so searches
// it), calls SYMBOL as `const char* SYMBOL(void)` and prints "SYMBOL: <what it returned>".
// Exits 1, printing dlerror(), when the library or the symbol cannot be found.

#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: dlopen_plugin LIBRARY SYMBOL\n");
    return 2;
  }
  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (plugin == NULL) {
    fprintf(stderr, "dlopen_plugin: %s\n", dlerror());
    return 1;
  }
  const char* (*function)(void) = (const char* (*)(void))dlsym(plugin, argv[2]);
  if (function == NULL) {
    fprintf(stderr, "dlopen_plugin: %s\n", dlerror());
    return 1;
  }
  printf("%s: %s\n", argv[2], function());
  return 0;
}
