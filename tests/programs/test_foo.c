// libtproc_test_foo.so: the bottom of a small library chain (needs_bar -> bar -> foo; the plugin
// -> foo) that the bundle tests resolve, bundle, and leave out on purpose.

const char* tproc_test_foo(void) { return "hello from libtproc_test_foo"; }
