// libtproc_test_plugin.so: a plugin that dlopen_plugin loads by name. It needs
// libtproc_test_foo.so in turn (found through its RUNPATH $ORIGIN), so loading it proves that a
// plugin's own dependencies travel with it.

const char* tproc_test_foo(void);

const char* tproc_test_plugin_greeting(void) { return tproc_test_foo(); }
