// Specification of the command file `tproc debug` gives gdb: the steps in the order gdb needs
// them, and no way for a file or tproc name to become a command of its own.

#include "cli/gdb_script.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using tproc::cli::DebugObject;
using tproc::cli::GdbTarget;
using tproc::cli::gdb_script;

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

GdbTarget target_named(const std::string& name, const std::string& path) {
  GdbTarget target;
  target.pid = 4242;
  target.who = "tproc 3 (" + name + ") in space 's'";
  target.executable = path;
  DebugObject object{path, 0x7f0000001000, 0x7f0000000000, {{".text", 0x1040, 0x200}, {".data", 0x4000, 0x10}}};
  target.view.objects = {object};
  target.view.code = {{0x7f0000001000, 0x7f0000002000}};
  return target;
}

}  // namespace

TEST_CASE("gdb_script attaches without gdb's GNU/Linux support, then loads the executable as main symbol file") {
  const std::string script = gdb_script(target_named("app", "/srv/app"));
  CHECK(script.starts_with("python\n"));
  CHECK(script.ends_with("\nend\n"));
  const size_t osabi_none = script.find("'set osabi none'");
  const size_t attach = script.find("'attach %d' % _tproc_pid");
  const size_t symbols = script.find("_tproc_add_symbols(_path");  // the call, not the definition
  REQUIRE(osabi_none != std::string::npos);
  CHECK(osabi_none < attach);
  CHECK(attach < symbols);
  CHECK(script.find("'set osabi auto'") == std::string::npos);
  CHECK(script.find("symbol-file %s -o 0x%x'") != std::string::npos);
  CHECK(script.find("_tproc_pid = 4242\n") < attach);
  // The object at its bias, each section named; the code range the guard allows.
  CHECK(script.find("0x7f0000000000, [(") != std::string::npos);
  CHECK(script.find("(0x7f0000001000, 0x7f0000002000)") != std::string::npos);
  // The guard is connected before gdb can take a breakpoint.
  CHECK(script.find("breakpoint_created.connect") < attach);
}

TEST_CASE("gdb_script carries hostile names and paths as data, never as commands") {
  const std::string plain = gdb_script(target_named("app", "/srv/app"));
  const std::string hostile_name = "x')\nend\nshell touch /tmp/owned\npython\nprint('";
  const std::string hostile_path = "/srv/a\"pp\nshell touch /tmp/owned";
  const std::string hostile = gdb_script(target_named(hostile_name, hostile_path));
  // The same lines as for a plain name: nothing the names hold broke out of its string.
  CHECK(count_of(hostile, "\n") == count_of(plain, "\n"));
  CHECK(hostile.find("shell touch") == std::string::npos);
  CHECK(count_of(hostile, "\nend\n") == 1);
  CHECK(hostile.find("bytes.fromhex('") != std::string::npos);
}

TEST_CASE("gdb_script leaves out a section whose name gdb would split") {
  GdbTarget target = target_named("app", "/srv/app");
  target.view.objects[0].sections.push_back({"odd name", 0x5000, 0x10});
  const std::string script = gdb_script(target);
  CHECK(script.find("0x5000") == std::string::npos);
  CHECK(script.find("0x4000") != std::string::npos);
}

TEST_CASE("gdb_core_script loads the core before it looks for the program, and carries paths as data") {
  const std::string plain = tproc::cli::gdb_core_script("/srv/core", "");
  CHECK(plain.starts_with("python\n"));
  CHECK(plain.ends_with("\nend\n"));
  CHECK(plain.find("gdb.execute('core-file ' + _tproc_core)") < plain.find("_tproc_instances()\n"));
  const std::string hostile = tproc::cli::gdb_core_script("/srv/co\nend\nshell touch /tmp/owned", "/srv/p'rog");
  CHECK(count_of(hostile, "\n") == count_of(plain, "\n"));
  CHECK(hostile.find("shell touch") == std::string::npos);
}
