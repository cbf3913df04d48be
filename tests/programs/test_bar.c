// libtproc_test_bar.so: needs libtproc_test_foo.so, found through its RUNPATH $ORIGIN.

const char* tproc_test_foo(void);

const char* tproc_test_bar(void) { return tproc_test_foo(); }
