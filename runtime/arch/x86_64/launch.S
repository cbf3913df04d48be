// long tproc_clone3_launch(struct clone_args *args, size_t size, const LaunchHeader *header)
//
// The parent returns clone3's result. The child starts on the stack the daemon built (the kernel
// sets rsp = args->stack + args->stack_size, which is the program's argc), shares the daemon's
// memory, and must not touch libc or the stack: it runs header->steps with raw syscalls, then
// jumps to header->entry with the registers the x86_64 ELF ABI expects (rdx = 0: no atexit hook).
//
// First it clears the thread pointer (fs base), which clone3 copied from the daemon's thread: a
// program starts from execve with none, and a static libc writes through it (errno, the stack
// guard) before it sets up its own TLS. Left pointing at the daemon's TLS, those writes landed in
// the daemon's malloc state (seen with an old static-glibc busybox whose TLS setup fails); cleared,
// they fault in the program, as they would when it is run directly.
//
// LaunchHeader: 0 entry, 8 step_count, 16 steps, 24 failure. LaunchStep: 64 bytes (nr, 6 args, two
// accepted errnos of 32 bits each).

#define SYS_clone3 435
#define SYS_exit_group 231
#define SYS_arch_prctl 158
#define ARCH_SET_FS 0x1002

        .text
        .globl  tproc_clone3_launch
        .type   tproc_clone3_launch, @function
tproc_clone3_launch:
        .cfi_startproc
        mov     %rdx, %r9               // survives syscall; the child reads the header from it
        mov     $SYS_clone3, %eax
        syscall
        test    %rax, %rax
        jz      .Lchild
        ret                             // parent: pid, or -errno
.Lchild:
        .cfi_undefined rip              // no caller to unwind to in the child
        mov     %r9, %r12               // r12 = header
        mov     $SYS_arch_prctl, %eax
        mov     $ARCH_SET_FS, %edi
        xor     %esi, %esi              // no thread pointer, as after execve
        syscall
        mov     16(%r12), %r13          // r13 = current step
        mov     8(%r12), %r14           // r14 = step count
        xor     %r15d, %r15d            // r15 = step index
.Lnext:
        cmp     %r14, %r15
        jae     .Lenter
        mov     0(%r13), %rax
        mov     8(%r13), %rdi
        mov     16(%r13), %rsi
        mov     24(%r13), %rdx
        mov     32(%r13), %r10
        mov     40(%r13), %r8
        mov     48(%r13), %r9
        syscall
        cmp     $-4095, %rax
        jae     .Lerror                 // -4095..-1 as unsigned: an errno
.Lstep_done:
        add     $64, %r13
        inc     %r15
        jmp     .Lnext
.Lerror:
        mov     %rax, %rcx
        neg     %rcx                    // ecx = errno (1..4095)
        cmp     56(%r13), %ecx          // the step's accepted errnos are no failure
        je      .Lstep_done
        cmp     60(%r13), %ecx
        je      .Lstep_done
        mov     24(%r12), %rdi
        lea     1(%r15), %rsi
        mov     %esi, 0(%rdi)           // failure->step = index + 1
        neg     %eax
        mov     %eax, 4(%rdi)           // failure->error = errno
        mov     $127, %edi
        mov     $SYS_exit_group, %eax
        syscall
        ud2
.Lenter:
        mov     0(%r12), %r11           // entry point
        xor     %eax, %eax
        xor     %ebx, %ebx
        xor     %ecx, %ecx
        xor     %edx, %edx              // ABI: rdx = function for atexit, none
        xor     %esi, %esi
        xor     %edi, %edi
        xor     %ebp, %ebp              // ABI: outermost frame
        xor     %r8d, %r8d
        xor     %r9d, %r9d
        xor     %r10d, %r10d
        xor     %r12d, %r12d
        xor     %r13d, %r13d
        xor     %r14d, %r14d
        xor     %r15d, %r15d
        jmp     *%r11
        .cfi_endproc
        .size   tproc_clone3_launch, .-tproc_clone3_launch

        .section .note.GNU-stack,"",@progbits
