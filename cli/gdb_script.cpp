#include "cli/gdb_script.hpp"

#include <cstdio>

namespace tproc::cli {
namespace {

/// `text` as a Python expression, whatever bytes it holds: bytes.fromhex(...).decode(...).
std::string python_text(const std::string& text) {
  std::string hex;
  char pair[3];
  for (unsigned char byte : text) {
    std::snprintf(pair, sizeof pair, "%02x", byte);
    hex += pair;
  }
  return "bytes.fromhex('" + hex + "').decode('utf-8', 'surrogateescape')";
}

std::string number(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// The fixed part: runs after the data (_tproc_pid, _tproc_who, _tproc_executable, _tproc_code,
// _tproc_objects) is defined.
constexpr const char* kProgram = R"PY(
def _tproc_quoted(text):
    if '\n' in text or '\r' in text:
        raise gdb.GdbError('tproc: a path with a line break cannot be handed to gdb: %r' % text)
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'

def _tproc_owned(address):
    return any(begin <= address < end for begin, end in _tproc_code)

# Breakpoints kept in the traced threads' debug registers, or no breakpoint at all: safe anywhere.
_tproc_safe_types = {getattr(gdb, name) for name in ('BP_HARDWARE_BREAKPOINT', 'BP_WATCHPOINT',
    'BP_HARDWARE_WATCHPOINT', 'BP_READ_WATCHPOINT', 'BP_ACCESS_WATCHPOINT', 'BP_CATCHPOINT')
    if hasattr(gdb, name)}

def _tproc_guard(breakpoint):
    if breakpoint.type in _tproc_safe_types:
        return
    try:
        locations = breakpoint.locations
    except Exception:
        return
    for location in locations:
        if location.enabled and location.address is not None and not _tproc_owned(location.address):
            location.enabled = False
            print('tproc: breakpoint %d.%d at 0x%x disabled: it is outside the code of %s, and an '
                  'int3 there would stop its siblings in the space too (hbreak stops only this '
                  'program)' % (breakpoint.number, locations.index(location) + 1,
                                location.address, _tproc_who))

gdb.events.breakpoint_created.connect(_tproc_guard)
gdb.events.breakpoint_modified.connect(_tproc_guard)

# gdb's GNU/Linux support would take the daemon's auxv and r_debug for the program's (one mm):
# load the daemon's symbols, shift the executable by the daemon's entry point, and put its
# shared-library breakpoint into the daemon's code. Without it (osabi none), gdb places nothing
# of its own; the tproc's executable stands as exec file during attach, so that gdb does not load
# the daemon's (/proc/PID/exe), and is dropped after: memory comes from the process.
gdb.execute('set osabi none', to_string=True)
gdb.execute('set exec-file-mismatch off', to_string=True)
gdb.execute('with confirm off -- exec-file ' + _tproc_quoted(_tproc_executable), to_string=True)
gdb.execute('attach %d' % _tproc_pid, to_string=True)
gdb.execute('with confirm off -- exec-file', to_string=True)
for _path, _bias, _sections in _tproc_objects:
    if _path == _tproc_executable:
        # The main symbol file: gdb finds main and the entry point (for calls) through it.
        _command = 'symbol-file %s -o 0x%x' % (_tproc_quoted(_path), _bias)
    else:
        _text = [address for name, address in _sections if name == '.text']
        if _text:
            _command = 'add-symbol-file %s 0x%x ' % (_tproc_quoted(_path), _text[0] + _bias) + ' '.join(
                '-s %s 0x%x' % (name, address + _bias) for name, address in _sections if name != '.text')
        else:
            _command = 'add-symbol-file %s -o 0x%x' % (_tproc_quoted(_path), _bias)
    try:
        gdb.execute('with confirm off -- ' + _command, to_string=True)
    except gdb.error as _error:
        print('tproc: no symbols from %s: %s' % (_path, _error))
print('tproc: attached to %s (pid %d): %d objects, %d threads; software breakpoints only in its own '
      'code, detach leaves it running' % (_tproc_who, _tproc_pid, len(_tproc_objects),
                                          len(gdb.selected_inferior().threads())))
# Where it stopped, now with its symbols (attach printed the frame before they were there).
gdb.execute('frame')
)PY";

}  // namespace

std::string gdb_script(const GdbTarget& target) {
  std::string script = "python\nimport gdb\n";
  script += "_tproc_pid = " + std::to_string(target.pid) + "\n";
  script += "_tproc_who = " + python_text(target.who) + "\n";
  script += "_tproc_executable = " + python_text(target.executable) + "\n";
  script += "_tproc_code = [";
  for (const CodeRange& range : target.view.code) script += "(" + number(range.begin) + ", " + number(range.end) + "), ";
  script += "]\n_tproc_objects = [\n";
  for (const DebugObject& object : target.view.objects) {
    script += "  (" + python_text(object.path) + ", " + number(object.bias) + ", [";
    for (const loader::ElfSection& section : object.sections)
      if (section.name.find_first_of(" \t\n\r\"'\\") == std::string::npos)  // gdb splits -s NAME at blanks
        script += "(" + python_text(section.name) + ", " + number(section.address) + "), ";
    script += "]),\n";
  }
  script += "]\n";
  script += kProgram;
  script += "end\n";
  return script;
}

}  // namespace tproc::cli
