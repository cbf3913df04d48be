# scripts/aarch64/lib.sh — sourced by the scripts in scripts/aarch64/, never run.
#
# Paths every script agrees on, and the few helpers they share: logging, root, idempotent apt.
# Override the directories with the environment variables named below; all of them are build-*
# directories of the repository by default (ignored by git).

aarch64_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The whole project cross-built for aarch64 (scripts/aarch64/cross-build).
aarch64_build_dir=${TPROC_AARCH64_BUILD_DIR:-$aarch64_root/build-aarch64-full}
# Packages extracted by hand: libyaml-cpp-dev:arm64 (see cross-build).
aarch64_deps_dir=${TPROC_AARCH64_DEPS_DIR:-$aarch64_root/build-aarch64-deps}
# The cached arm64 Debian root filesystem, its kernel, initrd and disk image (make-rootfs), and the
# per-run payload disk, console log and results (e2e-qemu-system).
aarch64_vm_dir=${TPROC_AARCH64_VM_DIR:-$aarch64_root/build-aarch64-vm}
aarch64_script_name=$(basename "$0")
# Long work (compiling, dpkg under emulation, the virtual machine) runs at this niceness: the
# machine may be shared.
aarch64_nice=${TPROC_AARCH64_NICE:-10}

# The Debian release and mirror the root filesystem comes from: the ones this machine uses.
aarch64_suite=${TPROC_AARCH64_SUITE:-bookworm}
aarch64_mirror=${TPROC_AARCH64_MIRROR:-http://deb.debian.org/debian}

log() { echo "$aarch64_script_name: $*"; }
die() {
  echo "$aarch64_script_name: FAILED: $*" >&2
  exit 1
}
# Prints how many seconds have passed since $SECONDS was $1.
elapsed() { echo "$((SECONDS - $1))s"; }

# Everything here installs packages, mounts or chroots: it needs root.
require_root() {
  if ((EUID != 0)); then
    die "run me as root (apt-get, dpkg --add-architecture, debootstrap and namespaces need it)"
  fi
}

# Is every package (name or name:arch) installed?
all_installed() {
  local package status
  for package in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    [[ ${status:1:2} == "i " ]] || return 1
  done
}

# Installs the missing ones of the packages given, with apt-get update only when a package has no
# candidate in the current lists (or an install from stale lists fails). Touches nothing when all
# are present.
ensure_packages() {
  local package status missing=()
  for package in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    [[ ${status:1:2} == "i " ]] || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing: ${missing[*]}"
  local apt_get=(env DEBIAN_FRONTEND=noninteractive nice -n "$aarch64_nice" apt-get -y -q)
  local updated=0
  for package in "${missing[@]}"; do
    if ! apt-cache policy "$package" 2>/dev/null | grep -q '^ *Candidate: [^(]'; then
      "${apt_get[@]}" update
      updated=1
      break
    fi
  done
  if ! "${apt_get[@]}" install --no-install-recommends "${missing[@]}"; then
    ((updated)) && die "apt-get install ${missing[*]}"
    "${apt_get[@]}" update
    "${apt_get[@]}" install --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]}"
  fi
}

# arm64_chroot ROOTFS COMMAND [ARGS...]
#
# Runs COMMAND chrooted into the arm64 root filesystem ROOTFS, every arm64 program in it running
# under qemu-aarch64-static (user mode). It runs as root of a private user namespace (identity-
# mapped, so files keep their owners) with its own mount and pid namespaces, and with a binfmt_misc
# instance of its own (Linux 6.7 and later) in which qemu-aarch64-static is registered for arm64
# ELF files with flag F (the interpreter is opened at registration, so it need not exist inside the
# chroot). Nothing leaks onto the machine: exec'ing an arm64 program outside still fails with
# ENOEXEC. On older kernels, which have one binfmt_misc for the whole machine, the registration is
# made there under a name of its own and removed when the command ends.
#
# The chroot gets /proc; with ARM64_CHROOT_BINDS (host directories, space-separated) bound at the
# same absolute paths inside, and with ARM64_CHROOT_SCRATCH=1 a fresh tmpfs on /tmp, /dev/shm and
# devpts on /dev/pts. The environment inside is clean except for ARM64_CHROOT_ENV (NAME=VALUE ...).
arm64_chroot() {
  local rootfs=$1
  shift
  local qemu_static
  qemu_static=$(command -v qemu-aarch64-static) || die "qemu-aarch64-static not found (apt-get install qemu-user-static)"
  local name=tproc-aarch64
  local rule=':'"$name"':M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu_static"':F'
  local register=$rule global=""
  if ! arm64_private_binfmt_works; then
    # One binfmt_misc for the machine: register there, under a name nobody else uses, for now.
    global=/proc/sys/fs/binfmt_misc/$name-$$
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    printf '%s' "${rule/:$name:/:$name-$$:}" >/proc/sys/fs/binfmt_misc/register
    register=""
    log "this kernel has no per-namespace binfmt_misc: registered $global until the command ends"
  fi
  # shellcheck disable=SC2016 # expanded by the inner shell
  local inner='
    set -e
    until [ -n "$(cat /proc/self/uid_map)" ]; do sleep 0.05; done
    rootfs=$1 register=$2
    shift 2
    if [ -n "$register" ]; then
      mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
      printf "%s" "$register" >/proc/sys/fs/binfmt_misc/register  # the kernel decodes the \x escapes
    fi
    mount -t proc proc "$rootfs/proc"
    for dir in $ARM64_CHROOT_BINDS; do
      mkdir -p "$rootfs$dir"
      mount --rbind "$dir" "$rootfs$dir"
    done
    if [ "${ARM64_CHROOT_SCRATCH:-0}" = 1 ]; then
      mount -t tmpfs -o mode=1777 tmpfs "$rootfs/tmp"
      mkdir -p "$rootfs/dev/shm" "$rootfs/dev/pts"
      mount -t tmpfs -o mode=1777 tmpfs "$rootfs/dev/shm"
      mount -t devpts -o newinstance,ptmxmode=0666 devpts "$rootfs/dev/pts" || true
    fi
    exec chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
      container=lxc $ARM64_CHROOT_ENV "$@"'
  local status=0
  nice -n "$aarch64_nice" unshare --user --mount --pid --fork --kill-child --propagation private \
    -- bash -c "$inner" arm64-chroot "$rootfs" "$register" "$@" &
  local pid=$! waited=0
  # Map every uid and gid to itself once unshare has made the namespace (the child waits for it).
  while [[ $(readlink "/proc/$pid/ns/user" 2>/dev/null) == "$(readlink /proc/self/ns/user)" ]]; do
    sleep 0.05
    ((++waited < 200)) || die "unshare did not create a user namespace"
  done
  echo "0 0 4294967295" >"/proc/$pid/uid_map"
  echo "0 0 4294967295" >"/proc/$pid/gid_map"
  wait "$pid" || status=$?
  [[ -n $global && -e $global ]] && echo -1 >"$global"
  return "$status"
}

# Can a user namespace mount a binfmt_misc instance of its own (Linux 6.7 and later)?
arm64_private_binfmt_works() {
  unshare --user --map-root-user --mount --propagation private \
    sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' >/dev/null 2>&1
}
