# CMake toolchain file: cross-compile for Linux aarch64 with Debian's g++-aarch64-linux-gnu.
# Used by scripts/cross-build-aarch64 (cmake -DCMAKE_TOOLCHAIN_FILE=scripts/toolchain-aarch64.cmake),
# which scripts/aarch64/cross-build calls for the whole project.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# Debian multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu, headers in /usr/include
# (which the cross compiler searches). Look for libraries and packages there, programs on the host.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# pkg-config: only the arm64 .pc files (liburing-dev:arm64, libarchive-dev:arm64, libssl-dev:arm64,
# installed through `dpkg --add-architecture arm64` by scripts/aarch64/cross-build) and the
# architecture-independent ones; never the host's x86_64 ones. Without the arm64 packages (a
# runtime-only build from a machine that has just g++-aarch64-linux-gnu) the host's liburing.pc is
# used: its headers are architecture-independent (the package is Multi-Arch: same) and a
# runtime-only build links no executable, so that is enough for the runtime cross-build check.
if(EXISTS /usr/lib/aarch64-linux-gnu/pkgconfig/liburing.pc)
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "")
endif()

# Running what we build: on an aarch64 machine directly, elsewhere under qemu-aarch64 (user mode).
# Catch2's catch_discover_tests runs every test binary at build time to list its tests, and ctest
# prefixes each test command with this. The wrapper decides at run time, so the same build tree
# runs its tests under qemu-user on the x86_64 host and natively inside an aarch64 machine.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/aarch64/run)
