/* The smallest program worth launching: what bench/launch_bench starts, directly and with tproc. */
int main(void) { return 0; }
