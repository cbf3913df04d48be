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

// What both scripts share: quoting a path for a gdb command, and loading one object's symbols.
constexpr const char* kCommon = R"PY(
def _tproc_quoted(text):
    if '\n' in text or '\r' in text:
        raise gdb.GdbError('tproc: a path with a line break cannot be handed to gdb: %r' % text)
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'

def _tproc_add_symbols(path, bias, sections):
    """Loads one object's symbols at its load bias: every section placed, so that gdb (and
    libthread_db through it) sees each at its address when the file is announced; -o alone is
    applied only after that."""
    text = [address for name, address in sections if name == '.text']
    if text:
        command = 'add-symbol-file %s 0x%x ' % (_tproc_quoted(path), text[0] + bias) + ' '.join(
            '-s %s 0x%x' % (name, address + bias) for name, address in sections if name != '.text')
    else:
        command = 'add-symbol-file %s -o 0x%x' % (_tproc_quoted(path), bias)
    gdb.execute('with confirm off -- ' + command, to_string=True)
)PY";

// The fixed part: runs after the data (_tproc_pid, _tproc_who, _tproc_executable, _tproc_code,
// _tproc_objects) is defined.
constexpr const char* kProgram = R"PY(
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
    try:
        if _path == _tproc_executable:
            # The main symbol file: gdb finds main and the entry point (for calls) through it.
            gdb.execute('with confirm off -- symbol-file %s -o 0x%x' % (_tproc_quoted(_path), _bias),
                        to_string=True)
        else:
            _tproc_add_symbols(_path, _bias, _sections)
    except gdb.error as _error:
        print('tproc: no symbols from %s: %s' % (_path, _error))
print('tproc: attached to %s (pid %d): %d objects, %d threads; software breakpoints only in its own '
      'code, detach leaves it running' % (_tproc_who, _tproc_pid, len(_tproc_objects),
                                          len(gdb.selected_inferior().threads())))
# Where it stopped, now with its symbols (attach printed the frame before they were there).
gdb.execute('frame')
)PY";

constexpr const char* kCoreProgram = R"PY(
# A core of a tproc holds the whole space: every tproc's objects, the daemon's, and its auxv,
# /proc/PID/exe name and cmdline are the daemon's (one mm). What says which objects are the
# crashed program's is its own ld.so's link map, in the core's memory: each executable's
# DT_DEBUG leads to its r_debug and the list of what that ld.so loaded, with load biases. The
# list that holds the object where the crashed thread stopped (its pc, else the first return
# address on its stack that lies in an object) is the program's.
import struct

def _tproc_elf(path):
    """(first PT_LOAD page, PT_DYNAMIC address or None, [(section, address)]) of an ELF64 file."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < 64 or data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        return None
    (phoff, shoff) = struct.unpack_from('<QQ', data, 32)
    (phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack_from('<HHHHH', data, 54)
    first, dynamic = None, None
    for index in range(phnum):
        at = phoff + index * phentsize
        if at + 56 > len(data):
            return None
        p_type, _, _, p_vaddr = struct.unpack_from('<IIQQ', data, at)
        if p_type == 1 and first is None:
            first = p_vaddr & ~0xfff
        if p_type == 2:
            dynamic = p_vaddr
    sections = []
    if shoff and shentsize == 64 and shstrndx < shnum and shoff + shnum * 64 <= len(data):
        names_offset, names_size = struct.unpack_from('<QQ', data, shoff + shstrndx * 64 + 24)
        names = data[names_offset:names_offset + names_size]
        for index in range(1, shnum):
            name, _, flags, address = struct.unpack_from('<IIQQ', data, shoff + index * 64)
            text = names[name:names.find(b'\0', name)].decode('ascii', 'replace') if name < len(names) else ''
            if flags & 2 and text and not any(c in text for c in ' \t"\'\\'):
                sections.append((text, address))
    return (first, dynamic, sections) if first is not None else None

def _tproc_instances():
    """[path, start, end] of each mapped object: a file's mapping at offset 0 and those after it."""
    found = []
    for line in gdb.execute('info proc mappings', to_string=True).splitlines():
        words = line.split(None, 4)
        if len(words) != 5 or not words[0].startswith('0x') or not words[4].startswith('/'):
            continue
        start, end, offset, path = int(words[0], 16), int(words[1], 16), int(words[3], 16), words[4]
        if offset == 0:
            found.append([path, start, end])
        elif found and found[-1][0] == path:
            found[-1][2] = end
    return found

_tproc_memory = gdb.selected_inferior()

def _tproc_word(address):
    return struct.unpack('<Q', bytes(_tproc_memory.read_memory(address, 8)))[0]

def _tproc_link_map(bias, dynamic):
    """The load biases ld.so's link map lists, from the executable's DT_DEBUG; [] if none."""
    try:
        r_debug = 0
        for index in range(512):
            tag = _tproc_word(bias + dynamic + 16 * index)
            if tag == 0:
                break
            if tag == 21:  # DT_DEBUG
                r_debug = _tproc_word(bias + dynamic + 16 * index + 8)
        biases, entry = [], (_tproc_word(r_debug + 8) if r_debug else 0)
        while entry and len(biases) < 65536:
            biases.append(_tproc_word(entry))
            entry = _tproc_word(entry + 24)
        return biases
    except gdb.MemoryError:
        return []

gdb.execute('set auto-solib-add off', to_string=True)
_tproc_quoted(_tproc_core)  # refuses a line break: core-file takes the rest of its line as it is
gdb.execute('core-file ' + _tproc_core)
_instances = _tproc_instances()
_elves = {}
for _path, _start, _end in _instances:
    if _path not in _elves:
        _elves[_path] = _tproc_elf(_path)
_objects = [(path, start - _elves[path][0], start, end) for path, start, end in _instances if _elves[path]]
_stacks = []  # candidate link maps: (executable path, its bias, the biases its ld.so loaded)
for _path, _bias, _start, _end in _objects:
    if _elves[_path][1] is not None and (not _tproc_program or os.path.realpath(_path) == _tproc_program):
        _biases = _tproc_link_map(_bias, _elves[_path][1])
        if _biases and _biases[0] == _bias:
            _stacks.append((_path, _bias, set(_biases)))

def _tproc_owner(address):
    for path, bias, start, end in _objects:
        if start <= address < end:
            return [stack for stack in _stacks if bias in stack[2]]
    return []

_chosen = _tproc_owner(int(gdb.parse_and_eval('$pc')))
if len(_chosen) != 1:
    _sp = int(gdb.parse_and_eval('$sp'))
    for _slot in range(4096):
        try:
            _candidates = _tproc_owner(_tproc_word(_sp + 8 * _slot))
        except gdb.MemoryError:
            break
        if len(_candidates) == 1:
            _chosen = _candidates
            break
if len(_chosen) != 1 and len(_stacks) == 1:
    _chosen = _stacks
if len(_chosen) != 1:
    raise gdb.GdbError('tproc: cannot tell which program of the space crashed in %s (%d candidates): '
                       'name it: tproc debug --core FILE PROGRAM' % (_tproc_core, len(_stacks)))
_program, _program_bias, _program_biases = _chosen[0]
_loaded = 0
# The thread library last: gdb looks for libthread_db when it appears, with ld.so's symbols there.
_mine = sorted([o for o in _objects if o[1] in _program_biases],
               key=lambda o: os.path.basename(o[0]).startswith(('libc.so', 'libpthread.so')))
for _path, _bias, _start, _end in _mine:
    _sections = _elves[_path][2]
    try:
        _tproc_add_symbols(_path, _bias, _sections)
        _loaded += 1
    except gdb.error as _error:
        print('tproc: no symbols from %s: %s' % (_path, _error))
print('tproc: core %s: the program that crashed is %s, %d objects of its own' % (_tproc_core, _program, _loaded))
gdb.execute('frame')
)PY";

}  // namespace

std::string gdb_core_script(const std::string& core, const std::string& program) {
  std::string script = "python\nimport gdb, os\n";
  script += "_tproc_core = " + python_text(core) + "\n";
  script += "_tproc_program = " + python_text(program) + "\n";
  script += kCommon;
  script += kCoreProgram;
  script += "end\n";
  return script;
}

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
  script += kCommon;
  script += kProgram;
  script += "end\n";
  return script;
}

}  // namespace tproc::cli
