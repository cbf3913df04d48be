// long tproc_clone3_launch(struct clone_args *args, size_t size, const LaunchHeader *header)
//
// The parent returns clone3's result. The child starts on the stack the daemon built (the kernel
// sets sp = args->stack + args->stack_size, which is the program's argc), shares the daemon's
// memory, and must not touch libc or the stack: it runs header->steps with raw syscalls, then
// jumps to header->entry with the registers the aarch64 ELF ABI expects (x0 = 0: no atexit hook).
//
// First it clears the thread pointer (tpidr_el0), which clone3 copied from the daemon's thread: a
// program starts from execve with none, and a static libc may write through it before it sets up
// its own TLS; those writes must fault in the program, not land in the daemon's TLS (see x86_64).
//
// LaunchHeader: 0 entry, 8 step_count, 16 steps, 24 failure. LaunchStep: 64 bytes (nr, 6 args, two
// accepted errnos of 32 bits each).

#define SYS_clone3 435
#define SYS_exit_group 94

        .text
        .globl  tproc_clone3_launch
        .type   tproc_clone3_launch, %function
tproc_clone3_launch:
        .cfi_startproc
        mov     x9, x2                  // survives svc; the child reads the header from it
        mov     x8, #SYS_clone3
        svc     #0
        cbz     x0, .Lchild
        ret                             // parent: pid, or -errno
.Lchild:
        .cfi_undefined x30
        msr     tpidr_el0, xzr          // no thread pointer, as after execve
        mov     x19, x9                 // x19 = header
        ldr     x20, [x19, #16]         // x20 = current step
        ldr     x21, [x19, #8]          // x21 = step count
        mov     x22, #0                 // x22 = step index
.Lnext:
        cmp     x22, x21
        b.hs    .Lenter
        ldp     x8, x0, [x20, #0]
        ldp     x1, x2, [x20, #16]
        ldp     x3, x4, [x20, #32]
        ldr     x5, [x20, #48]
        svc     #0
        cmn     x0, #4095
        b.cs    .Lerror                 // -4095..-1 as unsigned: an errno
.Lstep_done:
        add     x20, x20, #64
        add     x22, x22, #1
        b       .Lnext
.Lerror:
        neg     x1, x0                  // w1 = errno (1..4095)
        ldp     w2, w3, [x20, #56]      // the step's accepted errnos are no failure
        cmp     w1, w2
        b.eq    .Lstep_done
        cmp     w1, w3
        b.eq    .Lstep_done
        ldr     x1, [x19, #24]
        add     x2, x22, #1
        str     w2, [x1, #0]            // failure->step = index + 1
        neg     x0, x0
        str     w0, [x1, #4]            // failure->error = errno
        mov     x0, #127
        mov     x8, #SYS_exit_group
        svc     #0
        brk     #0
.Lenter:
        ldr     x16, [x19, #0]          // entry point
        mov     x0, #0                  // ABI: x0 = function for atexit, none
        mov     x1, #0
        mov     x2, #0
        mov     x3, #0
        mov     x4, #0
        mov     x5, #0
        mov     x8, #0
        mov     x9, #0
        mov     x19, #0
        mov     x20, #0
        mov     x21, #0
        mov     x22, #0
        mov     x29, #0                 // ABI: outermost frame
        mov     x30, #0
        br      x16
        .cfi_endproc
        .size   tproc_clone3_launch, .-tproc_clone3_launch

        .section .note.GNU-stack,"",%progbits
