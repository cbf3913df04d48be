/* The auxiliary-vector entries tproc adds for the programs it starts. */
#ifndef TPROC_AUXV_H
#define TPROC_AUXV_H

/* a_val is the address of the space's registry region. The value of the type is outside the
   kernel's AT_* range so no libc mistakes it for one of its own; glibc's getauxval drops unknown
   types, so libtproc reads the initial auxv itself. */
#define TPROC_AT_REGISTRY 0x74707201UL

#endif
