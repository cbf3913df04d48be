#include "cli/exec_target.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tproc::cli {
namespace {

/// glibc's execvp without PATH (confstr _CS_PATH).
constexpr const char* kDefaultSearchPath = "/bin:/usr/bin";

bool fail(ExecTarget& target, int error, const char* subject, const char* reason) {
  target.executable.reset();
  target.error = error;
  snprintf(target.subject, sizeof(target.subject), "%s", subject);
  target.reason = reason;
  return false;
}

/// What execve(path) would say about `path` before reading it: 0 with `fd` open, or an errno.
/// Another non-regular file is EACCES, as for execve; a directory too, but told EISDIR, as bash
/// tells it (the PATH search skips both alike).
int open_for_exec(const char* path, UniqueFd& fd) {
  fd.reset(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return errno;
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!S_ISREG(st.st_mode)) return EACCES;
  if (::access(path, X_OK) < 0) return errno;
  return 0;
}

/// Whether `name` in the working directory is a bundle (a tar archive: "ustar" at offset 257).
bool is_bundle_here(const char* name) {
  UniqueFd fd(::open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return false;
  char magic[5];
  return ::pread(fd.get(), magic, sizeof(magic), 257) == sizeof(magic) && memcmp(magic, "ustar", sizeof(magic)) == 0;
}

/// glibc's __execvpe_common, with "try execve" replaced by open_for_exec.
bool search(const char* name, const char* search_path, ExecTarget& target) {
  if (*name == '\0') return fail(target, ENOENT, "", "");
  if (strchr(name, '/')) {
    if (snprintf(target.path, sizeof(target.path), "%s", name) >= static_cast<int>(sizeof(target.path)))
      return fail(target, ENAMETOOLONG, "", "");
    const int error = open_for_exec(name, target.executable);
    return error == 0 || fail(target, error, "", "");
  }
  if (strlen(name) > NAME_MAX) return fail(target, ENAMETOOLONG, "", "");
  if (!search_path) search_path = kDefaultSearchPath;
  bool refused = false;
  for (const char* entry = search_path;;) {
    const char* end = strchrnul(entry, ':');
    const size_t length = static_cast<size_t>(end - entry);
    // An empty entry is the working directory: the bare name.
    const int written = length == 0 ? snprintf(target.path, sizeof(target.path), "%s", name)
                                    : snprintf(target.path, sizeof(target.path), "%.*s/%s", static_cast<int>(length), entry, name);
    if (written > 0 && written < static_cast<int>(sizeof(target.path))) {
      const int error = open_for_exec(target.path, target.executable);
      if (error == 0) return true;
      switch (error) {
        case EACCES: case EISDIR:
          refused = true;
          break;
        case ENOENT: case ESTALE: case ENOTDIR: case ENODEV: case ETIMEDOUT:
          break;
        default:  // found something, but it cannot run: execvp gives up here too
          return fail(target, error, target.path, "");
      }
    }
    if (*end == '\0') break;
    entry = end + 1;
  }
  return refused ? fail(target, EACCES, "", "found in PATH, but not executable")
                 : fail(target, ENOENT, "", "not found in PATH");
}

bool spacetab(char c) { return c == ' ' || c == '\t'; }

/// fs/binfmt_script.c's helpers: the first character in [first, last] that is (not) a blank.
char* next_non_spacetab(char* first, char* last) {
  for (; first <= last; ++first)
    if (!spacetab(*first)) return first;
  return nullptr;
}
char* next_terminator(char* first, char* last) {
  for (; first <= last; ++first)
    if (spacetab(*first) || *first == '\0') return first;
  return nullptr;
}

enum class Recognised { elf, script, unknown, malformed_script };

/// fs/binfmt_script.c's load_script on the first bytes of a file (NUL-padded, as the kernel's
/// buffer is): the interpreter line's name and optional argument.
Recognised recognise(char (&buffer)[kRecogniseBytes], ExecTarget::Interpreter& interpreter) {
  if (memcmp(buffer, "\177ELF", 4) == 0) return Recognised::elf;
  if (buffer[0] != '#' || buffer[1] != '!') return Recognised::unknown;
  // Never run a truncated interpreter path: either the line ends within the buffer, or a blank
  // or NUL follows the name. A truncated argument is fine (the interpreter re-reads the script).
  char* const buffer_end = buffer + kRecogniseBytes - 1;
  auto* line_end = static_cast<char*>(memchr(buffer, '\n', kRecogniseBytes));
  if (!line_end) {
    line_end = next_non_spacetab(buffer + 2, buffer_end);
    if (!line_end || !next_terminator(line_end, buffer_end)) return Recognised::malformed_script;
    line_end = buffer_end;
  }
  while (spacetab(line_end[-1])) --line_end;
  char* name = next_non_spacetab(buffer + 2, line_end);
  if (!name || name == line_end) return Recognised::malformed_script;
  char* argument = nullptr;
  char* separator = next_terminator(name, line_end);
  if (separator && *separator != '\0') argument = next_non_spacetab(separator, line_end);
  *line_end = '\0';
  if (argument) *separator = '\0';
  snprintf(interpreter.name, sizeof(interpreter.name), "%s", name);
  interpreter.has_argument = argument != nullptr;
  if (argument) snprintf(interpreter.argument, sizeof(interpreter.argument), "%s", argument);
  return Recognised::script;
}

/// bash's check_binary_file: a NUL before the first newline of the first 80 bytes means a binary
/// the loader should name as such, not a shell script without a #! line.
bool looks_binary(const char (&buffer)[kRecogniseBytes], size_t length) {
  for (size_t i = 0; i < length && i < 80; ++i) {
    if (buffer[i] == '\n') return false;
    if (buffer[i] == '\0') return true;
  }
  return false;
}

}  // namespace

size_t ExecTarget::argv_prefix_size() const {
  if (interpreter_count == 0) return 1;
  size_t words = 1;  // the script's path
  for (size_t i = 0; i < interpreter_count; ++i) words += 1 + interpreters[i].has_argument;
  return words;
}

void ExecTarget::argv_prefix(const char* original_argv0, const char** words) const {
  if (interpreter_count == 0) {
    words[0] = original_argv0;
    return;
  }
  size_t next = 0;
  for (size_t i = interpreter_count; i-- > 0;) {
    words[next++] = interpreters[i].name;
    if (interpreters[i].has_argument) words[next++] = interpreters[i].argument;
  }
  words[next] = path;
}

bool resolve_exec_target(const char* name, const char* search_path, ExecTarget& target) {
  target.interpreter_count = 0;
  target.error = 0;
  target.bundle = !strchr(name, '/') && is_bundle_here(name);
  if (target.bundle) return fail(target, 0, "", "a bundle");
  if (!search(name, search_path, target)) return false;
  // Each file in turn, as exec_binprm does: an ELF ends the chain, a script names the next.
  bool with_shell = false;
  for (;;) {
    char buffer[kRecogniseBytes] = {};
    const ssize_t length = ::pread(target.executable.get(), buffer, sizeof(buffer), 0);
    if (length < 0) return fail(target, errno, "", "read");
    ExecTarget::Interpreter interpreter{};
    const Recognised kind = recognise(buffer, interpreter);
    if (kind == Recognised::elf) return true;
    const char* file = target.interpreter_count == 0 ? "" : target.interpreters[target.interpreter_count - 1].name;
    if (kind == Recognised::unknown && target.interpreter_count == 0) {
      // The program itself: a bundle, a binary the space's loader names, or text for the shell.
      char magic[5];
      target.bundle = ::pread(target.executable.get(), magic, sizeof(magic), 257) == sizeof(magic) &&
                      memcmp(magic, "ustar", sizeof(magic)) == 0;
      if (target.bundle) return fail(target, 0, "", "a bundle");
      if (looks_binary(buffer, static_cast<size_t>(length))) return true;
    }
    if (kind == Recognised::unknown || kind == Recognised::malformed_script) {
      // The kernel's ENOEXEC, on which execvp runs TARGET with /bin/sh (glibc's maybe_script_execute).
      if (with_shell) return fail(target, ENOEXEC, file, kind == Recognised::unknown ? "bad interpreter" : "no interpreter on its #! line");
      with_shell = true;
      target.shell_fallback = true;
      target.interpreter_count = 0;
      ExecTarget::Interpreter& shell = target.interpreters[target.interpreter_count++];
      snprintf(shell.name, sizeof(shell.name), "%s", kFallbackShell);
      shell.has_argument = false;
      if (const int error = open_for_exec(shell.name, target.executable); error != 0)
        return fail(target, error, shell.name, "bad interpreter");
      continue;
    }
    if (target.interpreter_count == kMaxScripts)
      return fail(target, ELOOP, target.interpreters[0].name, "bad interpreter");
    target.interpreters[target.interpreter_count++] = interpreter;
    // open_exec(i_name): relative to the working directory, like any path.
    if (const int error = open_for_exec(interpreter.name, target.executable); error != 0)
      return fail(target, error, interpreter.name, "bad interpreter");
  }
}

bool make_path_absolute(ExecTarget& target) {
  if (target.path[0] == '/') return true;
  char here[PATH_MAX], joined[PATH_MAX];
  if (!::getcwd(here, sizeof(here))) return false;
  if (snprintf(joined, sizeof(joined), "%s/%s", here, target.path) >= static_cast<int>(sizeof(joined))) return false;
  memcpy(target.path, joined, sizeof(joined));
  return true;
}

void describe_exec_failure(const ExecTarget& target, char* text, size_t size) {
  const bool subject = target.subject[0] != '\0', reason = target.reason[0] != '\0';
  snprintf(text, size, "%s%s%s", target.subject, subject && reason ? ": " : "", target.reason);
}

}  // namespace tproc::cli
