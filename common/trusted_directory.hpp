#pragma once
// Directories tproc may trust: the runtime dir that holds the daemons' sockets and locks, and
// TPROC_HOME with its logs and bundle cache. Another user who can create, rename or replace any
// directory on the way to them could plant a socket that receives a client's argv, environment
// and terminal, a symlink that a root daemon follows, or a cache entry that root executes.
//
// The rule is ssh's StrictModes (and tmux's socket check), walked from "/" one component at a
// time with O_NOFOLLOW, so what is checked is what is used (no path is looked up twice):
//   - every directory on the way belongs to the user or to root, and others cannot write to it,
//     unless it is sticky (/tmp: others may add entries there, but not rename or remove ours);
//   - the directory itself belongs to the user and neither its group nor others can write to it;
//   - no component is a symlink (a link is a second path that someone else may own).
//
// Needs nothing but libc: the front door (cli/front/) checks the runtime dir before it connects,
// and is built without the C++ standard library.

#include <limits.h>
#include <sys/types.h>

namespace tproc {

/// Why a directory was not trusted: the path at fault and what is wrong with it.
struct DistrustReason {
  char path[PATH_MAX] = {};
  char what[128] = {};
  int code = 0;  ///< the errno behind it, or EPERM for a directory that fails the rule
};

/// Opens the directory `path` (absolute, or relative to the working directory) as an O_PATH fd
/// after checking it and every directory above it against the rule above for `user`. With
/// `create`, the missing components are made (mode 0700, owned by the user). Returns -1 with
/// `why` filled in when it cannot be trusted.
int open_trusted_directory(const char* path, uid_t user, bool create, DistrustReason& why);

/// `/proc/self/fd/DIR/NAME` in `out`: a path that names NAME inside the directory open as `dir`
/// without looking the directory up again (bind() and connect() take only paths). False if it
/// does not fit in `size` bytes.
bool path_in_directory(int dir, const char* name, char* out, unsigned long size);

}  // namespace tproc
