// tproc debug: stock gdb attached to one tproc, with that program's executable, libraries, threads
// and symbols, and no breakpoint that could stop a sibling (cli/gdb_script.hpp says how).

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/debug_objects.hpp"
#include "cli/gdb_script.hpp"
#include "cli/output.hpp"
#include "cli/process_maps.hpp"
#include "cli/space_client.hpp"
#include "common/path_search.hpp"
#include "common/printable.hpp"
#include "common/unique_fd.hpp"
#include "space/space_name.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc debug SPACE ID|NAME [-- GDBARGS...]\n"
    "       tproc debug --core FILE [PROGRAM] [-- GDBARGS...]\n\n"
    "Run gdb attached to a running tproc of SPACE, as `gdb -p PID` attaches to a process: bt, break,\n"
    "step, print, info threads and detach work on that program alone, with its executable, its\n"
    "libraries and their debug info (debuglink, build-id) at the addresses they were loaded, and its\n"
    "threads through libthread_db. Its siblings keep running. Detaching, or quitting gdb, leaves it\n"
    "running. GDBARGS go to gdb after tproc's own command file (e.g. -batch -ex bt).\n\n"
    "A software breakpoint is refused outside the program's own code (the vDSO, the daemon, another\n"
    "tproc's code), since every tproc of the space runs that one copy; hbreak and watchpoints are\n"
    "per-thread and allowed anywhere. gdb learns nothing of a library dlopened after it attached.\n"
    "Needs gdb with Python (Debian's gdb; not gdb-minimal) in PATH, and ptrace rights over the tproc.\n\n"
    "With --core, gdb opens FILE, the core dump of a tproc (tproc run under `ulimit -c unlimited`,\n"
    "or a manifest's core_dumps: true), with the symbols and threads of the program that crashed. A\n"
    "core holds the whole space; which program crashed is read from the core itself (its ld.so's\n"
    "link map). PROGRAM, the crashed program's executable, settles it when the core cannot.\n\n"
    "Options:\n"
    "      --core FILE  debug the core dump FILE instead of a running tproc\n";

/// The first executable `name` in PATH, as a shell would find it.
Result<std::string> find_in_path(const std::string& name) {
  std::string found = find_on_path(name, std::getenv("PATH"));
  if (found.empty())
    return Error::explained(name + " not found in PATH: tproc debug runs the system's gdb (Debian: apt-get install gdb)",
                            ENOENT);
  return found;
}

/// The program among `view`'s objects: the one marked so, else the one the daemon's loader
/// mapped as the executable (at its bias: two objects never share a load address).
Result<std::string> executable_of(const protocol::OwnedRanges& owned, const DebugView& view, const std::string& who) {
  for (const DebugObject& object : view.objects)
    if (object.program) return object.path;
  for (const DebugObject& object : view.objects)
    if (object.bias == owned.executable_bias) return object.path;
  return Error::explained(who + ": no executable is mapped in its ranges", ESRCH);
}

/// Execs `gdb` with `script` as its first command file, then `gdb_args`. The command file lives
/// in memory only (a memfd gdb reads as /dev/fd/N): nothing to clean up, nothing another user can swap.
Result<int> exec_gdb(const std::string& gdb, const std::string& text, const std::vector<std::string>& gdb_args) {
  UniqueFd script(memfd_create("tproc-debug.gdb", 0));
  if (!script) return Error::from_errno("memfd_create");
  for (size_t done = 0; done < text.size();) {
    ssize_t wrote = write(script.get(), text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return Error::from_errno("write the gdb command file");
    done += static_cast<size_t>(wrote);
  }
  const std::string script_path = "/dev/fd/" + std::to_string(script.get());
  std::vector<std::string> words = {gdb, "-q", "-x", script_path};
  words.insert(words.end(), gdb_args.begin(), gdb_args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(gdb.c_str(), argv.data());
  return Error::from_errno("exec " + gdb);
}

/// `tproc debug --core FILE [PROGRAM]`: no space involved (it may be long gone).
Result<int> debug_core(const std::string& core, const Arguments& arguments, const std::vector<std::string>& gdb_args) {
  TPROC_TRY(arguments.expect_operands("debug --core", 0, 1, "at most one PROGRAM"));
  UniqueFd file(open(core.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return Error::from_errno("core " + terminal_text(core));
  Elf64_Ehdr header{};
  if (pread(file.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_type != ET_CORE)
    return Error::explained("core " + terminal_text(core) + ": not a core dump (no ELF ET_CORE header)", EINVAL);
  std::string program;
  if (!arguments.positional().empty()) {
    char resolved[PATH_MAX];
    if (!realpath(arguments.positional()[0].c_str(), resolved))
      return Error::from_errno("program " + terminal_text(arguments.positional()[0]));
    program = resolved;
  }
  char resolved_core[PATH_MAX];
  if (!realpath(core.c_str(), resolved_core)) return Error::from_errno("core " + terminal_text(core));
  const std::string gdb = TPROC_TRY(find_in_path("gdb"));
  return exec_gdb(gdb, gdb_core_script(resolved_core, program), gdb_args);
}

Result<int> debug(std::span<char* const> args) {
  // What follows `--` is gdb's, options included.
  std::vector<char*> ours;
  std::vector<std::string> gdb_args;
  bool for_gdb = false;
  for (char* arg : args) {
    if (!for_gdb && std::string(arg) == "--") {
      for_gdb = true;
      continue;
    }
    (for_gdb ? static_cast<void>(gdb_args.push_back(arg)) : ours.push_back(arg));
  }
  Arguments arguments = TPROC_TRY(Arguments::parse(ours, {{"core", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (arguments.has("core")) return debug_core(arguments.value("core"), arguments, gdb_args);
  TPROC_TRY(arguments.expect_operands("debug", 2, 2, "SPACE and ID|NAME"));
  const std::string& space = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(space));
  const std::string gdb = TPROC_TRY(find_in_path("gdb"));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::Received reply = TPROC_TRY(ask_space(paths, space, protocol::RangesRequest{arguments.positional()[1]}));
  protocol::OwnedRanges owned = TPROC_TRY(expect<protocol::OwnedRanges>(reply));
  const std::string who = "tproc " + std::to_string(owned.tproc.id) + " (" + terminal_text(owned.tproc.name) +
                          ") in space '" + space + "'";
  if (!owned.tproc.running) return Error::explained(who + " has exited: there is nothing to attach to", ESRCH);
  // ptrace's attach waits for a stop that a frozen program never reaches: gdb would hang.
  if (owned.tproc.paused) return Error::explained(who + " is paused: `tproc unpause` it first", EBUSY);
  std::vector<MapsEntry> entries = TPROC_TRY_CTX(who, read_maps(owned.tproc.pid));
  DebugView view = TPROC_TRY_CTX(who, debug_view(owned.tproc.pid, entries, owned_parts(entries, owned.ranges)));
  GdbTarget target{owned.tproc.pid, who, TPROC_TRY(executable_of(owned, view, who)), std::move(view)};
  if (!owned.ledger)
    std::fprintf(stderr, "tproc debug: space '%s' runs without reclaim: gdb gets only the executable and ld.so of %s\n",
                 space.c_str(), who.c_str());
  return exec_gdb(gdb, gdb_script(target), gdb_args);
}

}  // namespace

const Command kDebugCommand{"debug", "Run gdb on one program of a space", kUsage, debug};

}  // namespace tproc::cli
