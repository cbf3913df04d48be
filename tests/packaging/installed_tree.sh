# tests/packaging/installed_tree.sh — sourced by install_test and deb_test, never run.
#
# check_installed_tree PREFIX: everything a user does with an installed tproc, from PREFIX alone:
# the files are there, `tproc --version` answers, `tproc run` starts a program in a space (the
# daemon being PREFIX's own tproc-cli), and a C program compiles and links against libtproc with
# `pkg-config --cflags --libs tproc` and with CMake's find_package(tproc), then runs in the space.
# Needs $work (a private temp dir the caller removes) and the `fail` function.

check_installed_tree() {
  local prefix=$1 file
  for file in bin/tproc libexec/tproc/tproc-cli libexec/tproc/tproc-bundles libexec/tproc/tproc-ready-wait; do
    [[ -x $prefix/$file ]] || fail "$file is missing or not executable under $prefix"
  done
  for file in lib/libtproc.a include/tproc/tproc.h include/tproc/tproc.hpp include/tproc/auxv.h \
    lib/pkgconfig/tproc.pc lib/cmake/tproc/tprocConfig.cmake lib/cmake/tproc/tprocTargets.cmake; do
    [[ -f $prefix/$file ]] || fail "$file is missing under $prefix"
  done
  compgen -G "$prefix/lib/libtproc.so.*" >/dev/null || fail "lib/libtproc.so.* is missing under $prefix"
  # Man pages made from --help (one per verb), and the bash and zsh completions.
  grep -q '^\.TH TPROC-RUN "1"' "$prefix/share/man/man1/tproc-run.1" 2>/dev/null || fail "share/man/man1/tproc-run.1 is missing or not a page"
  grep -q 'detach' "$prefix/share/man/man1/tproc-run.1" || fail "tproc-run.1 does not document --detach"
  [[ -f $prefix/share/man/man1/tproc.1 ]] || fail "share/man/man1/tproc.1 is missing"
  grep -q '^complete -F _tproc tproc$' "$prefix/share/bash-completion/completions/tproc" 2>/dev/null ||
    fail "share/bash-completion/completions/tproc is missing"
  grep -q '^#compdef tproc$' "$prefix/share/zsh/vendor-completions/_tproc" 2>/dev/null ||
    fail "share/zsh/vendor-completions/_tproc is missing"
  # Nothing installed may point back at the build tree or at a prefix it was not installed to.
  if grep -rlI -e "$build_dir" -e /usr/local "$prefix/lib/pkgconfig" "$prefix/lib/cmake" >"$work/stale-paths"; then
    fail "installed files name the build tree or /usr/local: $(tr '\n' ' ' <"$work/stale-paths")"
  fi

  local version
  version=$("$prefix/bin/tproc" --version) || fail "tproc --version exited $?"
  [[ $version =~ ^tproc\ version\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-f]{12}(-dirty)?\)$|\(commit\ unknown\)$ ]] ||
    fail "tproc --version printed '$version'"
  [[ $("$prefix/bin/tproc" version) == "$version" ]] || fail "tproc version and tproc --version differ"
  [[ $("$prefix/libexec/tproc/tproc-cli" version) == "$version" ]] || fail "the full CLI's version differs from the front door's"

  export TPROC_RUNTIME_DIR=$work/run TPROC_HOME=$work/home
  space=packaging-$$
  [[ $("$prefix/bin/tproc" run "$space" /bin/echo "hello from $prefix") == "hello from $prefix" ]] ||
    fail "tproc run from $prefix did not run /bin/echo"
  # The daemon that ran it is the installed one, not the build tree's.
  local daemon_pid daemon_exe
  daemon_pid=$("$prefix/bin/tproc" space ls --format json | python3 -c '
import json, sys
print(next(s["pid"] for s in json.load(sys.stdin) if s["name"] == sys.argv[1]))' "$space") ||
    fail "tproc space ls does not list $space"
  daemon_exe=$(readlink "/proc/$daemon_pid/exe")
  [[ $daemon_exe == "$(realpath "$prefix")/libexec/tproc/tproc-cli" ]] || fail "the space's daemon is $daemon_exe"

  # pkg-config, exclusively against PREFIX.
  local flags
  flags=$(PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig pkg-config --cflags --libs tproc) || fail "pkg-config tproc"
  # shellcheck disable=SC2086  # the flags are words
  cc -o "$work/probe-pkg-config" "$source_dir/tests/packaging/consumer/space_probe.c" $flags -Wl,-rpath,"$prefix/lib" ||
    fail "compiling with \$(pkg-config --cflags --libs tproc) = '$flags'"
  [[ $("$prefix/bin/tproc" run "$space" "$work/probe-pkg-config") == "in space $space" ]] ||
    fail "the pkg-config-built program did not find its space"

  # CMake: find_package(tproc) + tproc::tproc and tproc::tproc_static.
  cmake -S "$source_dir/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_RPATH="$prefix/lib" >"$work/consumer.log" 2>&1 || fail "configuring with find_package(tproc): $(tail -n 5 "$work/consumer.log")"
  cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || fail "building against tproc::tproc: $(tail -n 5 "$work/consumer.log")"
  local kind
  for kind in shared static; do
    [[ $("$prefix/bin/tproc" run "$space" "$work/consumer/space_probe_$kind") == "in space $space" ]] ||
      fail "the find_package-built program (tproc::tproc${kind/shared/}) did not find its space"
  done
  readelf -d "$work/consumer/space_probe_shared" | grep -q 'NEEDED.*libtproc\.so' ||
    fail "space_probe_shared does not link libtproc.so"

  "$prefix/bin/tproc" space rm -f "$space" >/dev/null || fail "tproc space rm -f $space"
  space=
}

# Stops the test's space (by its daemon, through the CLI: never by process name).
remove_test_space() {
  if [[ -n ${space:-} && -n ${tproc:-} ]]; then
    "$tproc" space rm -f "$space" >/dev/null 2>&1 || true
  fi
}
