# Man pages, made by help2man from the CLI's own --help texts (cmake/make_man_pages), and the bash
# and zsh completions (cli/completion/tproc.bash, _tproc); all installed by `cmake --install` and in the .deb.
# A cross-build cannot run the CLI it built, so it makes no man pages; neither does a machine
# without help2man (scripts/install-deps installs it).
find_program(TPROC_HELP2MAN help2man)
if(TPROC_HELP2MAN AND NOT CMAKE_CROSSCOMPILING)
  set(tproc_man_stamp ${CMAKE_BINARY_DIR}/man/.made)
  add_custom_command(OUTPUT ${tproc_man_stamp}
    COMMAND ${PROJECT_SOURCE_DIR}/cmake/make_man_pages $<TARGET_FILE:tproc> ${CMAKE_BINARY_DIR}/man ${PROJECT_VERSION}
            $<TARGET_FILE:tproc-oci>
    COMMAND ${CMAKE_COMMAND} -E touch ${tproc_man_stamp}
    DEPENDS tproc tproc-cli tproc-bundles tproc-oci ${PROJECT_SOURCE_DIR}/cmake/make_man_pages
    COMMENT "Making the man pages from tproc --help"
    VERBATIM)
  add_custom_target(tproc_man_pages ALL DEPENDS ${tproc_man_stamp})
  install(DIRECTORY ${CMAKE_BINARY_DIR}/man/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
else()
  message(STATUS "no man pages: help2man not found, or cross-compiling")
endif()
install(FILES ${PROJECT_SOURCE_DIR}/cli/completion/tproc.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME tproc)
# zsh: Debian's zsh has share/zsh/vendor-completions on its $fpath.
install(FILES ${PROJECT_SOURCE_DIR}/cli/completion/_tproc DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
