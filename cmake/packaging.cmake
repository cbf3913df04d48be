# `cpack -G DEB` (from the build directory) makes tproc_VERSION_ARCH.deb: what `cmake --install`
# installs, under /usr. Its dependencies come from dpkg-shlibdeps (dpkg-dev, part of
# build-essential), which reads the libraries the executables really link: the bundle tool's
# libarchive, libcrypto and yaml-cpp, libtproc's libc. The front door and the full CLI are static.
set(CPACK_PACKAGE_NAME tproc)
set(CPACK_PACKAGE_VENDOR "the tproc developers")
set(CPACK_PACKAGE_CONTACT "tproc developers <tproc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run many programs in one shared address space")
set(CPACK_PACKAGE_DESCRIPTION
    "tproc runs unmodified Linux programs in one shared virtual address space (a space), each its own\n"
    "process started by a per-space daemon with clone3(CLONE_VM), so a pointer made in one program is\n"
    "valid in every other. Includes the tproc command, its helpers and libtproc (headers, pkg-config\n"
    "file and CMake package).")
string(JOIN " " CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tproc_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not a library, so dpkg-shlibdeps cannot see it: tproc push, pull and login run skopeo.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS skopeo)
# libtproc.so.0 is in the package: dpkg-shlibdeps must find it there, not on the build machine.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Stripped, as Debian ships programs: the RelWithDebInfo executables are ~40 MB each with their
# debug info, a few MB without.
set(CPACK_STRIP_FILES ON)
# cpack packages what is built, as `cmake --install` does: without this it first rebuilds every
# target that is out of date (its "preinstall" step depends on "all"), which in a tree being edited
# means a whole rebuild inside a packaging step. Build first (scripts/build), then package.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_GENERATOR DEB)
include(CPack)
