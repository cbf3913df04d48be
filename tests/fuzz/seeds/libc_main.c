// A tiny libc program with a TLS variable and a bss, so its ELF seed carries every program header a
// real dynamically linked program has: PT_DYNAMIC, PT_NOTE, PT_TLS, PT_GNU_EH_FRAME, PT_GNU_RELRO...
__thread int tls_value;
int bss_value;

int main(void) { return tls_value + bss_value; }
