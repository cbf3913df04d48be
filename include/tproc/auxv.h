/* The auxiliary-vector entries tproc adds for the programs it starts. */
#ifndef TPROC_AUXV_H
#define TPROC_AUXV_H

/* a_val is the address of the space's registry region. The value of the type is outside the
   kernel's AT_* range so no libc mistakes it for one of its own; glibc's getauxval drops unknown
   types, so libtproc reads the initial auxv itself. */
#define TPROC_AT_REGISTRY 0x74707201UL

/* a_val is the address of a NUL-terminated string in the space's memory, kept by the daemon for
   its life: the absolute path of the daemon's socket, where tproc_spawn() asks it to start a
   program. 0 (or absent) when the daemon offers none. */
#define TPROC_AT_SOCKET 0x74707202UL

#endif
