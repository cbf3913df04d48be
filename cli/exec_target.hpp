#pragma once
// ExecTarget: what the kernel would start for `execvp(TARGET, ARGV)`, worked out without
// running anything, so that `tproc run SPACE TARGET ARGS` starts the same program with the
// same argv as a shell would.
//
// Two rules, each a copy of the original's:
// - the PATH search of glibc's execvp: a TARGET with a slash is a path; otherwise each entry of
//   the caller's PATH in turn (an empty entry is the working directory; no PATH at all is
//   "/bin:/usr/bin"); a candidate that is missing (ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT)
//   or that we may not execute (EACCES) is skipped, any other error ends the search; when
//   nothing is found, EACCES if some candidate was refused, else ENOENT;
// - the kernel's binfmt_script (fs/binfmt_script.c): a file starting with "#!" names its
//   interpreter within its first 256 bytes, optionally followed by one argument (the rest of
//   the line, trimmed); argv becomes INTERPRETER [ARGUMENT] PATH ARGS..., and the interpreter may
//   itself be a script, up to kMaxScripts scripts in a row (fs/exec.c, measured on Linux 6.18:
//   five work, the sixth is ELOOP);
// - glibc execvp's ENOEXEC fallback: a file that is neither ELF nor "#!" runs as
//   `/bin/sh PATH ARGS...`, unless a NUL before its first newline shows it is binary (bash's
//   check), which the space's loader then refuses by name.
//
// Shared by the full CLI (cli/commands/run.cpp) and the front door (cli/front/quick_run.cpp), so
// it needs nothing but libc: the front door is built without the C++ standard library.

#include <limits.h>
#include <stddef.h>

#include "common/unique_fd.hpp"

namespace tproc::cli {

/// How many `#!` files may follow each other before the ELF program (Linux: ELOOP beyond).
inline constexpr size_t kMaxScripts = 5;
/// The shell execvp runs a file with when the kernel does not recognise it (ENOEXEC).
inline constexpr const char* kFallbackShell = "/bin/sh";
/// How much of a file the kernel reads to recognise it (BINPRM_BUF_SIZE).
inline constexpr size_t kRecogniseBytes = 256;

/// The program TARGET names, ready to send to a space: the ELF file to load and the argv that
/// goes with it, or why there is none.
struct ExecTarget {
  /// The ELF program the kernel would load: TARGET itself, or its (last) interpreter.
  UniqueFd executable;
  /// Where TARGET was found (itself when it has a slash): argv's script path and AT_EXECFN.
  char path[PATH_MAX] = {};
  /// The interpreter lines read, the script's own first: each names a program and maybe an argument.
  struct Interpreter {
    char name[kRecogniseBytes + 1];
    char argument[kRecogniseBytes + 1];
    bool has_argument;
  };
  Interpreter interpreters[kMaxScripts] = {};
  size_t interpreter_count = 0;

  /// The kernel would refuse TARGET (ENOEXEC): it runs under kFallbackShell, as execvp runs it
  /// (posix_spawn does not: tproc_spawn() refuses such a target).
  bool shell_fallback = false;
  /// TARGET names a bundle in the working directory, not an executable (no slash: still a bundle).
  bool bundle = false;
  /// On failure: errno, the file it is about (empty: TARGET itself) and what went wrong (static text, may be empty).
  int error = 0;
  char subject[PATH_MAX] = {};
  const char* reason = "";

  ExecTarget() = default;
  ExecTarget(const ExecTarget&) = delete;
  ExecTarget& operator=(const ExecTarget&) = delete;

  /// How many words go before the program's own arguments (ARGS after TARGET) in argv.
  size_t argv_prefix_size() const;
  /// Those words, in order: `original_argv0` alone for an ELF program; for a script the
  /// innermost interpreter first, down to the script's path.
  void argv_prefix(const char* original_argv0, const char** words) const;
};

/// Resolves TARGET as execvp would, with `search_path` the caller's PATH (null: unset). True
/// when `target.executable` is open; otherwise `target` says why.
bool resolve_exec_target(const char* name, const char* search_path, ExecTarget& target);

/// Makes `target.path` absolute against our working directory, for a program started in another
/// one (--cwd): a script's interpreter opens the path it is given from the program's directory.
/// False if it does not fit.
bool make_path_absolute(ExecTarget& target);

/// One line naming what failed and why, without "run TARGET: " (e.g. "/bin/nope: bad interpreter");
/// the errno's text is left to the caller.
void describe_exec_failure(const ExecTarget& target, char* text, size_t size);

}  // namespace tproc::cli
