# CMake toolchain file: cross-compile for Linux aarch64 with Debian's g++-aarch64-linux-gnu.
# Used by scripts/cross-build-aarch64 (cmake -DCMAKE_TOOLCHAIN_FILE=scripts/toolchain-aarch64.cmake).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# Debian multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu, headers in /usr/include
# (which the cross compiler searches). Look for libraries and packages there, programs on the host.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# pkg-config: prefer the arm64 .pc files (liburing-dev:arm64 and friends, when installed through
# `dpkg --add-architecture arm64`). Without them the host's liburing.pc is used: its headers are
# architecture-independent (the package is Multi-Arch: same) and a runtime-only build links no
# executable, so that is enough for the runtime cross-build check.
if(EXISTS /usr/lib/aarch64-linux-gnu/pkgconfig/liburing.pc)
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
endif()
