// The smallest real program: no libc, no code beyond a trap (the fuzzer reads it, nobody runs it).
// make-seeds links it static, static-PIE and PIE (with PT_INTERP) to give the ELF fuzzer layouts
// exactly as ld writes them.
void _start(void) { __builtin_trap(); }
