# tproc_build_libc_only(TARGET): builds TARGET as a static program that needs nothing but libc —
# C++ without exceptions, RTTI or the standard library — against musl when Debian's musl-dev is
# installed, else against glibc. For programs whose start-up every launch pays (cli/front/): glibc
# probes the CPU at start with ~80 cpuid instructions, each a trap to the hypervisor on a VM.
string(REPLACE "-gnu" "-musl" tproc_musl_triplet "${CMAKE_LIBRARY_ARCHITECTURE}")
find_file(TPROC_MUSL_SPECS musl-gcc.specs PATHS /usr/lib/${tproc_musl_triplet} NO_DEFAULT_PATH)
if(TPROC_MUSL_SPECS)
  message(STATUS "libc-only programs (the tproc front door): musl (${TPROC_MUSL_SPECS})")
else()
  message(WARNING "musl-gcc.specs not found (Debian: musl-dev): the tproc front door is built against glibc, "
                  "whose start-up costs each `tproc run` ~0.3 ms more on a VM")
endif()

function(tproc_build_libc_only target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)  # the C driver: no libstdc++ linked
  if(TPROC_MUSL_SPECS)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -specs=${TPROC_MUSL_SPECS} $<$<COMPILE_LANGUAGE:CXX>:-nostdinc++>)
    # Not a static PIE: musl's self-relocation made each start ~80 us slower here.
    target_link_options(${target} PRIVATE -specs=${TPROC_MUSL_SPECS} -static -no-pie)
  else()
    target_link_options(${target} PRIVATE -static-pie)
  endif()
endfunction()
