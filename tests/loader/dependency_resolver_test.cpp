// Specification of resolve_dependencies and libc_family: the closure is the one glibc's ld.so
// loads (checked against ld.so's own trace mode, used here only as an oracle), $ORIGIN and the
// search order follow ld.so, a root keeps the whole search inside it, and a missing library fails
// with the chain that needed it.
//
// The libraries and programs under test are compiled once per run with g++ into a kit directory;
// each test copies what it needs into a tree of its own. Everything lives in temp directories
// removed when their owner goes, whether the test passed or not.

#include "loader/dependency_resolver.hpp"

#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"
#include "loader/ld_so_cache.hpp"

namespace {

namespace fs = std::filesystem;
using tproc::Result;
using tproc::arch::kElfMachine;
using tproc::arch::kMultiarch;
using tproc::loader::ElfFile;
using tproc::loader::LdSoCache;
using tproc::loader::libc_family;
using tproc::loader::resolve_dependencies;
using tproc::loader::ResolvedClosure;
using tproc::loader::ResolvedLibrary;
using tproc::loader::ResolveOptions;

constexpr uint16_t kForeignMachine = kElfMachine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
const std::string kForeignName = kElfMachine == EM_X86_64 ? "aarch64" : "x86_64";
const std::string kMultiarchDir = std::string("/lib/") + kMultiarch;
const std::string kUsrMultiarchDir = std::string("/usr/lib/") + kMultiarch;

// --- Fixtures -----------------------------------------------------------------------------------

/// A fresh directory under the temp dir, removed with all it holds when this goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tproc-deps-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = fs::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string shell_quoted(const fs::path& path) { return "'" + path.string() + "'"; }

void run(const std::string& command) {
  INFO(command);
  REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::vector<std::byte> read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

std::string interpreter_of(const fs::path& program) {
  const std::vector<std::byte> bytes = read_whole_file(program);
  Result<ElfFile> elf = ElfFile::parse(bytes, kElfMachine);
  REQUIRE(elf.has_value());
  REQUIRE(elf->interpreter().has_value());
  return std::string(*elf->interpreter());
}

// The shared libraries and programs the tests arrange into trees, built once per test run. No
// library needs libc (-nostdlib), so trees need nothing from the host unless a test says so.
class Kit {
 public:
  Kit() {
    write_file(dir_.path() / "src/lib.cpp", "extern \"C\" int tproc_test_symbol() { return 0; }\n");
    write_file(dir_.path() / "src/c_user.cpp",
               "extern \"C\" int getpid();\nextern \"C\" int c_user() { return getpid(); }\n");
    write_file(dir_.path() / "src/app.cpp", "extern \"C\" void _start() { for (;;) {} }\n");

    const std::string runpath_origin = "-Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN'";
    const std::string runpath_lib = "-Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'";
    const std::string rpath_lib = "-Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'";

    library("libfoo.so.1", "libfoo.so.1");
    library("libbar.so", "libbar.so", {"libfoo.so.1"}, runpath_origin);
    library("libplain.so", "libplain.so", {"libfoo.so.1"});
    library("stub/libcycle_b.so.1", "libcycle_b.so.1");
    library("libcycle_a.so.1", "libcycle_a.so.1", {"stub/libcycle_b.so.1"}, runpath_origin);
    library("libcycle_b.so.1", "libcycle_b.so.1", {"libcycle_a.so.1"}, runpath_origin);
    run("g++ -shared -fPIC -nostdlib -Wl,--no-as-needed -Wl,-soname,libc_user.so -o " +
        shell_quoted(at("libc_user.so")) + " " + shell_quoted(dir_.path() / "src/c_user.cpp") + " -lc");

    program("app_runpath", {"libbar.so"}, runpath_lib);
    program("app_rpath_plain", {"libplain.so"}, rpath_lib);
    program("app_runpath_plain", {"libplain.so"}, runpath_lib);
    program("app_cycle", {"libcycle_a.so.1"}, runpath_lib);
    program("app_c_user", {"libc_user.so"}, runpath_lib);
    program("app_plain_bar", {"libbar.so"});
    program("app_nodeflib", {"libbar.so"}, "-Wl,-z,nodefaultlib");
    program("app_dst", {"libbar.so"}, "-Wl,--enable-new-dtags -Wl,-rpath,'/opt/${PLATFORM}/$LIB'");
    run("g++ -nostdlib -static -o " + shell_quoted(at("app_static")) + " " +
        shell_quoted(dir_.path() / "src/app.cpp"));

    // A pretend glibc family, to check libc_family without depending on the host's.
    library("fake/libc.so.6", "libc.so.6");
    library("fake/libm.so.6", "libm.so.6");
    library("fake/libnss_files.so.2", "libnss_files.so.2");
    library("fake/libmdnsdep.so.1", "libmdnsdep.so.1");
    library("fake/libnss_mdns4_minimal.so.2", "libnss_mdns4_minimal.so.2",
            {"fake/libmdnsdep.so.1"});
    library("stub/libmissing.so.1", "libmissing.so.1");
    library("fake/libnss_broken.so.2", "libnss_broken.so.2", {"stub/libmissing.so.1"});
    library("fake/libnss_unused.so.2", "libnss_unused.so.2");
    program("app_fakec", {"fake/libc.so.6"});
  }

  /// A file of the kit.
  fs::path at(const std::string& name) const { return dir_.path() / name; }

 private:
  void library(const std::string& name, const std::string& soname,
               const std::vector<std::string>& needs = {}, const std::string& flags = "") {
    fs::create_directories(at(name).parent_path());
    std::string command = "g++ -shared -fPIC -nostdlib -Wl,--no-as-needed -Wl,-soname," + soname +
                          " " + flags + " -o " + shell_quoted(at(name)) + " " +
                          shell_quoted(dir_.path() / "src/lib.cpp");
    for (const std::string& need : needs) command += " " + shell_quoted(at(need));
    run(command);
  }

  void program(const std::string& name, const std::vector<std::string>& needs,
               const std::string& flags = "") {
    std::string command = "g++ -nostdlib -fPIE -pie -Wl,--no-as-needed " + flags +
                          " -Wl,-rpath-link," + shell_quoted(dir_.path()) + " -o " + shell_quoted(at(name)) +
                          " " + shell_quoted(dir_.path() / "src/app.cpp");
    for (const std::string& need : needs) command += " " + shell_quoted(at(need));
    run(command);
  }

  TempDir dir_;
};

const Kit& kit() {
  static const Kit instance;
  return instance;
}

/// A directory tree of kit files, laid out as a test needs (a bundle root, or a host prefix).
class Tree {
 public:
  const fs::path& root() const { return dir_.path(); }
  /// The host path of `in_root` ("/lib/libfoo.so.1").
  fs::path at(const std::string& in_root) const { return root() / in_root.substr(1); }

  /// Copies kit file `name` to `in_root`.
  void add(const std::string& name, const std::string& in_root) const {
    copy(kit().at(name), in_root);
  }
  void copy(const fs::path& from, const std::string& in_root) const {
    fs::create_directories(at(in_root).parent_path());
    fs::copy_file(from, at(in_root), fs::copy_options::overwrite_existing);
  }
  /// Copies the host's interpreter to where `program` (inside the tree) expects it.
  void add_interpreter_for(const std::string& program) const {
    const std::string interpreter = interpreter_of(at(program));
    copy(fs::canonical(interpreter), interpreter);
  }
  void symlink(const std::string& target, const std::string& in_root) const {
    fs::create_directories(at(in_root).parent_path());
    fs::create_symlink(target, at(in_root));
  }
  void write(const std::string& in_root, const std::string& text) const {
    write_file(at(in_root), text);
  }

  /// Options that search inside this tree only.
  ResolveOptions inside(bool use_host = false) const {
    ResolveOptions options;
    options.root = root().string();
    options.use_host = use_host;
    return options;
  }

 private:
  TempDir dir_;
};

/// The app-bar-foo tree of the design: bin/app needs lib/libbar.so needs lib/libfoo.so.1.
void lay_out_app_bar_foo(const Tree& tree) {
  tree.add("app_runpath", "/bin/app");
  tree.add("libbar.so", "/lib/libbar.so");
  tree.add("libfoo.so.1", "/lib/libfoo.so.1");
  tree.add_interpreter_for("/bin/app");
}

// What ld.so reports in trace mode (LD_TRACE_LOADED_OBJECTS=1 runs only the dynamic loader, which
// prints what it maps and exits before the program starts).
struct Trace {
  std::vector<std::pair<std::string, std::string>> libraries;  // name => path or "not found"
  std::string interpreter;
};

Trace ld_so_trace(const std::string& program) {
  const std::string command = "env -i LD_TRACE_LOADED_OBJECTS=1 " + shell_quoted(program) + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  Trace trace;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    std::string line = buffer;
    line.erase(0, line.find_first_not_of(" \t"));
    if (!line.empty() && line.back() == '\n') line.pop_back();
    const size_t address = line.find(" (0x");
    const size_t arrow = line.find(" => ");
    if (arrow != std::string::npos) {
      std::string path = line.substr(arrow + 4, address == std::string::npos
                                                    ? std::string::npos
                                                    : address - arrow - 4);
      trace.libraries.emplace_back(line.substr(0, arrow), path);
    } else if (line.starts_with("/") && address != std::string::npos) {
      trace.interpreter = line.substr(0, address);
    }  // else linux-vdso.so.1, which no file provides
  }
  ::pclose(pipe);
  return trace;
}

std::vector<std::pair<std::string, std::string>> names_and_paths(
    const std::vector<ResolvedLibrary>& libraries) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ResolvedLibrary& library : libraries) out.emplace_back(library.soname, library.path);
  return out;
}

std::vector<std::string> sonames(const std::vector<ResolvedLibrary>& libraries) {
  std::vector<std::string> out;
  for (const ResolvedLibrary& library : libraries) out.push_back(library.soname);
  return out;
}

const ResolvedLibrary& library_named(const std::vector<ResolvedLibrary>& libraries,
                                     const std::string& soname) {
  const auto found = std::find_if(libraries.begin(), libraries.end(),
                                  [&](const ResolvedLibrary& library) {
                                    return library.soname == soname;
                                  });
  REQUIRE(found != libraries.end());
  return *found;
}

std::string failure(const Result<ResolvedClosure>& result) {
  REQUIRE_FALSE(result.has_value());
  return result.error().message();
}

}  // namespace

// --- Real programs: the closure is what ld.so loads -------------------------------------------------

TEST_CASE("The closure of real host programs equals what ld.so loads for them, in order") {
  if (fs::exists("/etc/ld.so.preload")) {
    WARN("/etc/ld.so.preload adds libraries to every program's trace: nothing to compare with");
    return;
  }
  int checked = 0;
  for (const char* program : {"/bin/ls", "/usr/bin/python3", "/usr/bin/cmake", "/usr/bin/git",
                              "/usr/bin/ssh", "/usr/bin/curl", "/usr/bin/perl"}) {
    if (::access(program, R_OK | X_OK) != 0) continue;
    INFO(program);
    const Trace trace = ld_so_trace(program);
    Result<ResolvedClosure> sut = resolve_dependencies(program);
    REQUIRE(sut.has_value());
    CHECK(names_and_paths(sut->libraries) == trace.libraries);
    REQUIRE(sut->interpreter.has_value());
    CHECK(sut->interpreter->path == trace.interpreter);
    CHECK(sut->executable == program);
    for (const ResolvedLibrary& library : sut->libraries) {
      CHECK(fs::exists(library.host_path));
      CHECK_FALSE(library.needed_by.empty());
      CHECK_FALSE(library.search_reason.empty());
      CHECK_FALSE(library.from_host);
    }
    ++checked;
  }
  CHECK(checked >= 1);
}

TEST_CASE("The host's libc.so.6 is found through ld.so.cache and needed by /bin/ls") {
  Result<ResolvedClosure> sut = resolve_dependencies("/bin/ls");
  REQUIRE(sut.has_value());
  const ResolvedLibrary& libc = library_named(sut->libraries, "libc.so.6");
  CHECK(libc.search_reason == "ld.so.cache");
  CHECK(libc.path == LdSoCache::load()->find("libc.so.6"));
  CHECK(libc.needed_by == "/bin/ls");
  // libc.so.6 needs the interpreter by its soname; the interpreter answers, it is not searched.
  for (const ResolvedLibrary& library : sut->libraries) {
    CHECK_FALSE(library.soname.starts_with("ld-linux"));
  }
}

TEST_CASE("Without ld.so.cache the host's default dirs still find libc.so.6") {
  ResolveOptions options;
  options.use_host = false;
  Result<ResolvedClosure> sut = resolve_dependencies("/bin/ls", options);
  REQUIRE(sut.has_value());
  CHECK(library_named(sut->libraries, "libc.so.6").search_reason.starts_with("default dir /"));
}

TEST_CASE("A static executable has no interpreter and no libraries") {
  Result<ResolvedClosure> sut = resolve_dependencies(kit().at("app_static").string());
  REQUIRE(sut.has_value());
  CHECK_FALSE(sut->interpreter.has_value());
  CHECK(sut->libraries.empty());
}

TEST_CASE("A missing executable fails with its path and ENOENT") {
  Result<ResolvedClosure> sut = resolve_dependencies("/nonexistent/app");
  REQUIRE_FALSE(sut.has_value());
  CHECK(sut.error().code() == ENOENT);
  CHECK(sut.error().message().starts_with("/nonexistent/app: "));
}

// --- $ORIGIN, RUNPATH and RPATH on the host --------------------------------------------------------

TEST_CASE("A RUNPATH $ORIGIN tree resolves on the host as ld.so resolves it") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  const std::string app = tree.at("/bin/app").string();
  const std::string lib = tree.at("/lib").string();

  Result<ResolvedClosure> sut = resolve_dependencies(app);
  REQUIRE(sut.has_value());
  CHECK(names_and_paths(sut->libraries) == ld_so_trace(app).libraries);
  REQUIRE(sut->libraries.size() == 2);
  CHECK(sut->libraries[0].path == tree.root().string() + "/bin/../lib/libbar.so");
  CHECK(sut->libraries[0].needed_by == app);
  CHECK(sut->libraries[0].search_reason == "RUNPATH $ORIGIN/../lib of " + app);
  CHECK(sut->libraries[1].path == tree.root().string() + "/bin/../lib/libfoo.so.1");
  CHECK(sut->libraries[1].needed_by == lib + "/libbar.so");
  CHECK(sut->libraries[1].search_reason == "RUNPATH $ORIGIN of " + lib + "/libbar.so");
}

TEST_CASE("On the host a missing library names the chain, its RUNPATH, the cache and the defaults") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  fs::remove(tree.at("/lib/libfoo.so.1"));
  const std::string app = tree.at("/bin/app").string();
  const std::string lib = tree.at("/lib").string();

  const Trace trace = ld_so_trace(app);
  CHECK(trace.libraries.back() == std::pair<std::string, std::string>("libfoo.so.1", "not found"));

  Result<ResolvedClosure> sut = resolve_dependencies(app);
  CHECK(failure(sut) == "libfoo.so.1 (needed by " + lib + "/libbar.so, needed by " + app +
                            ") not found in: " + lib + ", /etc/ld.so.cache, " + kMultiarchDir +
                            ", " + kUsrMultiarchDir + ", /lib, /usr/lib");
  CHECK(sut.error().code() == ENOENT);
}

TEST_CASE("DT_RPATH reaches the libraries a program loads, DT_RUNPATH does not, as in ld.so") {
  Tree tree;
  tree.add("app_rpath_plain", "/opt/bin/rpath_app");
  tree.add("app_runpath_plain", "/opt/bin/runpath_app");
  tree.add("libplain.so", "/opt/lib/libplain.so");
  tree.add("libfoo.so.1", "/opt/lib/libfoo.so.1");
  const std::string rpath_app = tree.at("/opt/bin/rpath_app").string();
  const std::string runpath_app = tree.at("/opt/bin/runpath_app").string();

  Result<ResolvedClosure> inherited = resolve_dependencies(rpath_app);
  REQUIRE(inherited.has_value());
  CHECK(names_and_paths(inherited->libraries) == ld_so_trace(rpath_app).libraries);
  CHECK(library_named(inherited->libraries, "libfoo.so.1").search_reason ==
        "RPATH $ORIGIN/../lib of " + rpath_app);

  CHECK(ld_so_trace(runpath_app).libraries.back().second == "not found");
  const std::string message = failure(resolve_dependencies(runpath_app));
  CHECK(message.starts_with("libfoo.so.1 (needed by " + tree.at("/opt/lib/libplain.so").string() +
                            ", needed by " + runpath_app + ") not found in: /etc/ld.so.cache, "));
}

TEST_CASE("A dependency cycle terminates with each library loaded once") {
  Tree tree;
  tree.add("app_cycle", "/opt/bin/app");
  tree.add("libcycle_a.so.1", "/opt/lib/libcycle_a.so.1");
  tree.add("libcycle_b.so.1", "/opt/lib/libcycle_b.so.1");
  const std::string app = tree.at("/opt/bin/app").string();

  Result<ResolvedClosure> sut = resolve_dependencies(app);
  REQUIRE(sut.has_value());
  CHECK(sonames(sut->libraries) == std::vector<std::string>{"libcycle_a.so.1", "libcycle_b.so.1"});
  CHECK(names_and_paths(sut->libraries) == ld_so_trace(app).libraries);
}

// --- Inside a root ------------------------------------------------------------------------------------

TEST_CASE("Inside a root, $ORIGIN is relative to the object's path in the root") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  const std::string root = tree.root().string();

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(sut.has_value());
  CHECK(sut->executable == "/bin/app");
  CHECK(sut->executable_host_path == root + "/bin/app");
  REQUIRE(sut->libraries.size() == 2);

  const ResolvedLibrary& bar = sut->libraries[0];
  CHECK(bar.soname == "libbar.so");
  CHECK(bar.path == "/bin/../lib/libbar.so");
  CHECK(bar.host_path == root + "/lib/libbar.so");
  CHECK(bar.needed_by == "bin/app");
  CHECK(bar.search_reason == "RUNPATH $ORIGIN/../lib of bin/app");
  CHECK_FALSE(bar.from_host);

  const ResolvedLibrary& foo = sut->libraries[1];
  CHECK(foo.soname == "libfoo.so.1");
  CHECK(foo.path == "/bin/../lib/libfoo.so.1");  // as ld.so names it
  CHECK(foo.host_path == root + "/lib/libfoo.so.1");
  CHECK(foo.needed_by == "lib/libbar.so");
  CHECK(foo.search_reason == "RUNPATH $ORIGIN of lib/libbar.so");

  const std::string interpreter = interpreter_of(tree.at("/bin/app"));
  REQUIRE(sut->interpreter.has_value());
  CHECK(sut->interpreter->path == interpreter);
  CHECK(sut->interpreter->host_path == root + interpreter);
  CHECK_FALSE(sut->interpreter->from_host);
}

TEST_CASE("A relative executable path inside a root starts at the root") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  Result<ResolvedClosure> sut = resolve_dependencies("bin/app", tree.inside());
  REQUIRE(sut.has_value());
  CHECK(sut->executable == "/bin/app");
  CHECK(sut->libraries.size() == 2);
}

TEST_CASE("Inside a root a missing library fails with the whole chain, one line, ENOENT") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  fs::remove(tree.at("/lib/libfoo.so.1"));
  const std::string root = tree.root().string();

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside());
  CHECK(failure(sut) == "libfoo.so.1 (needed by lib/libbar.so, needed by bin/app) not found in: " +
                            root + "/lib, " + root + kMultiarchDir + ", " + root +
                            kUsrMultiarchDir + ", " + root + "/usr/lib");
  CHECK(sut.error().code() == ENOENT);
  CHECK(sut.error().describe() == sut.error().message());
}

TEST_CASE("Inside a root, DT_RUNPATH is not inherited and DT_RPATH is") {
  Tree tree;
  tree.add("app_rpath_plain", "/opt/bin/rpath_app");
  tree.add("app_runpath_plain", "/opt/bin/runpath_app");
  tree.add("libplain.so", "/opt/lib/libplain.so");
  tree.add("libfoo.so.1", "/opt/lib/libfoo.so.1");
  tree.add_interpreter_for("/opt/bin/rpath_app");
  const std::string root = tree.root().string();

  Result<ResolvedClosure> inherited = resolve_dependencies("/opt/bin/rpath_app", tree.inside());
  REQUIRE(inherited.has_value());
  CHECK(library_named(inherited->libraries, "libfoo.so.1").search_reason ==
        "RPATH $ORIGIN/../lib of opt/bin/rpath_app");

  CHECK(failure(resolve_dependencies("/opt/bin/runpath_app", tree.inside())) ==
        "libfoo.so.1 (needed by opt/lib/libplain.so, needed by opt/bin/runpath_app) not found "
        "in: " + root + kMultiarchDir + ", " + root + kUsrMultiarchDir + ", " + root + "/lib, " +
            root + "/usr/lib");
}

TEST_CASE("Inside a root a dependency cycle terminates") {
  Tree tree;
  tree.add("app_cycle", "/opt/bin/app");
  tree.add("libcycle_a.so.1", "/opt/lib/libcycle_a.so.1");
  tree.add("libcycle_b.so.1", "/opt/lib/libcycle_b.so.1");
  tree.add_interpreter_for("/opt/bin/app");
  Result<ResolvedClosure> sut = resolve_dependencies("/opt/bin/app", tree.inside());
  REQUIRE(sut.has_value());
  CHECK(sonames(sut->libraries) == std::vector<std::string>{"libcycle_a.so.1", "libcycle_b.so.1"});
  CHECK(library_named(sut->libraries, "libcycle_b.so.1").needed_by ==
        "opt/lib/libcycle_a.so.1");
}

TEST_CASE("Absolute symlinks inside a root resolve inside it") {
  Tree tree;
  tree.add("app_runpath", "/bin/app");
  tree.add_interpreter_for("/bin/app");
  tree.add("libbar.so", "/opt/bar/libbar.so");
  tree.symlink("/opt/bar/libbar.so", "/lib/libbar.so");  // absolute: the root's /opt, not the host's
  tree.add("libfoo.so.1", "/lib/libfoo.so.1");
  const std::string root = tree.root().string();

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(sut.has_value());
  const ResolvedLibrary& bar = library_named(sut->libraries, "libbar.so");
  CHECK(bar.path == "/bin/../lib/libbar.so");
  CHECK(bar.host_path == root + "/opt/bar/libbar.so");
  // $ORIGIN of a library is where it was found (the link's directory), as in ld.so.
  const ResolvedLibrary& foo = library_named(sut->libraries, "libfoo.so.1");
  CHECK(foo.host_path == root + "/lib/libfoo.so.1");
  CHECK(foo.search_reason == "RUNPATH $ORIGIN of lib/libbar.so");
  CHECK(foo.needed_by == "lib/libbar.so");
}

TEST_CASE("$ORIGIN of a library reached through a symlink is the link's directory, as in ld.so") {
  Tree tree;
  tree.add("app_runpath", "/bin/app");
  tree.add("libbar.so", "/opt/bar/libbar.so");
  tree.symlink("../opt/bar/libbar.so", "/lib/libbar.so");
  tree.add("libfoo.so.1", "/opt/bar/libfoo.so.1");  // next to the real file only: not found
  const std::string app = tree.at("/bin/app").string();

  CHECK(ld_so_trace(app).libraries.back().second == "not found");
  CHECK(failure(resolve_dependencies(app)).starts_with("libfoo.so.1 (needed by " +
                                                       tree.at("/lib/libbar.so").string()));

  tree.add("libfoo.so.1", "/lib/libfoo.so.1");  // next to the link
  Result<ResolvedClosure> sut = resolve_dependencies(app);
  REQUIRE(sut.has_value());
  CHECK(names_and_paths(sut->libraries) == ld_so_trace(app).libraries);
}

TEST_CASE("The executable's $ORIGIN is the directory of its real path") {
  Tree tree;
  tree.add("app_runpath", "/opt/real/bin/app");
  tree.symlink("../opt/real/bin/app", "/bin/app");  // nothing in /lib: only the real $ORIGIN works
  tree.add("libbar.so", "/opt/real/lib/libbar.so");
  tree.add("libfoo.so.1", "/opt/real/lib/libfoo.so.1");
  const std::string app = tree.at("/bin/app").string();

  Result<ResolvedClosure> sut = resolve_dependencies(app);
  REQUIRE(sut.has_value());
  CHECK(names_and_paths(sut->libraries) == ld_so_trace(app).libraries);
  CHECK(library_named(sut->libraries, "libbar.so").path ==
        tree.root().string() + "/opt/real/bin/../lib/libbar.so");

  Result<ResolvedClosure> inside = resolve_dependencies("/bin/app", tree.inside(true));
  REQUIRE(inside.has_value());
  CHECK(library_named(inside->libraries, "libbar.so").path == "/opt/real/bin/../lib/libbar.so");
}

TEST_CASE("A symlink that climbs out of a root stops at the root") {
  Tree tree;
  tree.add("app_runpath", "/bin/app");
  tree.add_interpreter_for("/bin/app");
  tree.add("libbar.so", "/opt/bar/libbar.so");
  tree.add("libfoo.so.1", "/lib/libfoo.so.1");
  tree.symlink("../../../../../../../../../../opt/bar/libbar.so", "/lib/libbar.so");
  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(sut.has_value());
  CHECK(library_named(sut->libraries, "libbar.so").host_path ==
        tree.root().string() + "/opt/bar/libbar.so");
}

TEST_CASE("A candidate for another architecture or not ELF at all is skipped, as ld.so skips it") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  std::vector<std::byte> foreign = read_whole_file(kit().at("libfoo.so.1"));
  const uint16_t machine = kForeignMachine;
  std::memcpy(foreign.data() + offsetof(Elf64_Ehdr, e_machine), &machine, sizeof machine);
  const std::string foreign_text(reinterpret_cast<const char*>(foreign.data()), foreign.size());
  tree.write("/wrong/libfoo.so.1", foreign_text);
  tree.write("/text/libfoo.so.1", "INPUT(-lfoo)\n");
  ResolveOptions options = tree.inside();
  options.extra_dirs = {"/wrong", "/text"};  // searched before libbar.so's RUNPATH
  const std::string root = tree.root().string();

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", options);
  REQUIRE(sut.has_value());
  CHECK(library_named(sut->libraries, "libfoo.so.1").search_reason ==
        "RUNPATH $ORIGIN of lib/libbar.so");

  fs::remove(tree.at("/lib/libfoo.so.1"));
  const std::string message = failure(resolve_dependencies("/bin/app", options));
  CHECK(message.find("; skipped " + root + "/wrong/libfoo.so.1: " + kForeignName + " binary on " +
                     tproc::arch::kName + "; " + root +
                     "/text/libfoo.so.1: not an ELF file (bad magic)") != std::string::npos);
}

TEST_CASE("Extra dirs come after DT_RPATH and before DT_RUNPATH") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  tree.add("libbar.so", "/extra/libbar.so");
  tree.add("app_rpath_plain", "/opt/bin/rpath_app");
  tree.add("libplain.so", "/opt/lib/libplain.so");
  tree.add("libplain.so", "/extra/libplain.so");
  tree.add("libfoo.so.1", "/opt/lib/libfoo.so.1");
  ResolveOptions options = tree.inside();
  options.extra_dirs = {"/extra"};

  Result<ResolvedClosure> runpath = resolve_dependencies("/bin/app", options);
  REQUIRE(runpath.has_value());
  CHECK(library_named(runpath->libraries, "libbar.so").search_reason == "extra dir /extra");
  CHECK(library_named(runpath->libraries, "libbar.so").path == "/extra/libbar.so");

  Result<ResolvedClosure> rpath = resolve_dependencies("/opt/bin/rpath_app", options);
  REQUIRE(rpath.has_value());
  CHECK(library_named(rpath->libraries, "libplain.so").search_reason ==
        "RPATH $ORIGIN/../lib of opt/bin/rpath_app");
}

TEST_CASE("$PLATFORM and $LIB expand in search paths, braced or not") {
  Tree tree;
  tree.add("app_dst", "/bin/app");
  tree.add_interpreter_for("/bin/app");
  const std::string dir = std::string("/opt/") + tproc::arch::kName + "/lib/" + kMultiarch;
  tree.add("libbar.so", dir + "/libbar.so");
  tree.add("libfoo.so.1", dir + "/libfoo.so.1");
  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(sut.has_value());
  const ResolvedLibrary& bar = library_named(sut->libraries, "libbar.so");
  CHECK(bar.path == dir + "/libbar.so");
  CHECK(bar.search_reason == "RUNPATH /opt/${PLATFORM}/$LIB of bin/app");
}

TEST_CASE("The root's default dirs are searched, unless the object has DF_1_NODEFLIB") {
  Tree tree;
  tree.add("app_plain_bar", "/bin/app");
  tree.add("app_nodeflib", "/bin/nodeflib_app");
  tree.add_interpreter_for("/bin/app");
  tree.add("libbar.so", "/usr/lib/libbar.so");
  tree.add("libfoo.so.1", "/usr/lib/libfoo.so.1");
  ResolveOptions options = tree.inside();
  options.extra_dirs = {"/opt"};

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", options);
  REQUIRE(sut.has_value());
  CHECK(library_named(sut->libraries, "libbar.so").search_reason == "default dir /usr/lib");

  CHECK(failure(resolve_dependencies("/bin/nodeflib_app", options)) ==
        "libbar.so (needed by bin/nodeflib_app) not found in: " + tree.root().string() + "/opt");
}

TEST_CASE("Inside a root, host libraries are used only with use_host, and said to be") {
  Tree tree;
  tree.add("app_c_user", "/opt/bin/app");
  tree.add("libc_user.so", "/opt/lib/libc_user.so");
  tree.add_interpreter_for("/opt/bin/app");
  const std::string root = tree.root().string();

  CHECK(failure(resolve_dependencies("/opt/bin/app", tree.inside(false))) ==
        "libc.so.6 (needed by opt/lib/libc_user.so, needed by opt/bin/app) not found in: " +
            root + kMultiarchDir + ", " + root + kUsrMultiarchDir + ", " + root + "/lib, " +
            root + "/usr/lib");

  Result<ResolvedClosure> sut = resolve_dependencies("/opt/bin/app", tree.inside(true));
  REQUIRE(sut.has_value());
  // libc.so.6's own need, the interpreter, is answered by the root's interpreter.
  REQUIRE(sonames(sut->libraries) == std::vector<std::string>{"libc_user.so", "libc.so.6"});
  const ResolvedLibrary& libc = sut->libraries[1];
  CHECK(libc.from_host);
  CHECK(libc.search_reason == "host ld.so.cache");
  CHECK(libc.path == LdSoCache::load()->find("libc.so.6"));
  CHECK(libc.host_path == libc.path);
  CHECK(libc.needed_by == "opt/lib/libc_user.so");
  CHECK_FALSE(sut->libraries[0].from_host);
}

TEST_CASE("The interpreter is looked up inside the root, and on the host only with use_host") {
  Tree tree;
  tree.add("app_runpath", "/bin/app");
  tree.add("libbar.so", "/lib/libbar.so");
  tree.add("libfoo.so.1", "/lib/libfoo.so.1");
  const std::string interpreter = interpreter_of(tree.at("/bin/app"));

  Result<ResolvedClosure> refused = resolve_dependencies("/bin/app", tree.inside(false));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == ENOENT);
  CHECK(refused.error().message().starts_with("interpreter " + interpreter + " of bin/app: "));

  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", tree.inside(true));
  REQUIRE(sut.has_value());
  REQUIRE(sut->interpreter.has_value());
  CHECK(sut->interpreter->from_host);
  CHECK(sut->interpreter->host_path == interpreter);
  CHECK(sut->libraries.size() == 2);
}

TEST_CASE("A root that does not exist is refused with ENOENT") {
  ResolveOptions options;
  options.root = "/nonexistent/root";
  Result<ResolvedClosure> sut = resolve_dependencies("/bin/app", options);
  REQUIRE_FALSE(sut.has_value());
  CHECK(sut.error().code() == ENOENT);
  CHECK(sut.error().message().starts_with("root /nonexistent/root"));
}

// --- The glibc family -----------------------------------------------------------------------------

TEST_CASE("libc_family adds the NSS modules and libc siblings next to the host's libc") {
  Result<ResolvedClosure> closure = resolve_dependencies("/bin/ls");
  REQUIRE(closure.has_value());
  Result<std::vector<ResolvedLibrary>> sut = libc_family(*closure);
  REQUIRE(sut.has_value());

  const ResolvedLibrary& libc = library_named(closure->libraries, "libc.so.6");
  const fs::path libc_dir = fs::path(libc.path).parent_path();
  std::vector<std::string> expected_nss;
  for (const char* name : {"libnss_files.so.2", "libnss_dns.so.2"}) {
    if (fs::exists(libc_dir / name)) expected_nss.push_back(name);
  }
  for (const std::string& name : expected_nss) {
    const ResolvedLibrary& module = library_named(*sut, name);
    CHECK(module.search_reason == "glibc runtime (NSS)");
    CHECK(module.path == (libc_dir / name).string());
    CHECK(module.needed_by == libc.path);
  }
  const std::vector<std::string> in_closure = sonames(closure->libraries);
  const bool libm_in_closure =
      std::find(in_closure.begin(), in_closure.end(), "libm.so.6") != in_closure.end();
  if (fs::exists(libc_dir / "libm.so.6") && !libm_in_closure) {
    CHECK(library_named(*sut, "libm.so.6").search_reason == "glibc runtime (libc sibling)");
  }
  // Nothing twice, nothing already in the closure, every file there.
  std::vector<std::string> all = sonames(closure->libraries);
  for (const ResolvedLibrary& library : *sut) {
    CHECK(std::find(all.begin(), all.end(), library.soname) == all.end());
    all.push_back(library.soname);
    CHECK(fs::exists(library.host_path));
  }
}

TEST_CASE("libc_family takes the NSS modules nsswitch.conf names, with their own dependencies") {
  Tree tree;
  tree.add("app_fakec", "/bin/app");
  tree.add_interpreter_for("/bin/app");
  const std::string dir = kMultiarchDir;
  tree.add("fake/libc.so.6", dir + "/libc.so.6");
  tree.add("fake/libm.so.6", dir + "/libm.so.6");
  tree.add("fake/libnss_files.so.2", dir + "/libnss_files.so.2");
  tree.add("fake/libnss_mdns4_minimal.so.2", dir + "/libnss_mdns4_minimal.so.2");
  tree.add("fake/libmdnsdep.so.1", "/usr/lib/libmdnsdep.so.1");
  tree.add("fake/libnss_broken.so.2", dir + "/libnss_broken.so.2");  // needs an absent library
  tree.add("fake/libnss_unused.so.2", dir + "/libnss_unused.so.2");  // named by nobody
  tree.write("/etc/nsswitch.conf",
             "# a comment: files dns unused\n"
             "passwd:  files mdns4_minimal [NOTFOUND=return] broken\n"
             "hosts:   files [ NOTFOUND = return ] dns\n");

  Result<ResolvedClosure> closure = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(closure.has_value());
  REQUIRE(sonames(closure->libraries) == std::vector<std::string>{"libc.so.6"});
  Result<std::vector<ResolvedLibrary>> sut = libc_family(*closure);
  REQUIRE(sut.has_value());

  const std::string libc = dir.substr(1) + "/libc.so.6";
  const std::string mdns = dir.substr(1) + "/libnss_mdns4_minimal.so.2";
  using Row = std::tuple<std::string, std::string, std::string>;
  std::vector<Row> rows;
  for (const ResolvedLibrary& library : *sut) {
    rows.emplace_back(library.soname, library.search_reason, library.needed_by);
  }
  CHECK(rows == std::vector<Row>{
                    {"libm.so.6", "glibc runtime (libc sibling)", libc},
                    {"libnss_files.so.2", "glibc runtime (NSS)", libc},
                    {"libnss_mdns4_minimal.so.2", "glibc runtime (NSS, /etc/nsswitch.conf)", libc},
                    {"libmdnsdep.so.1", "default dir /usr/lib", mdns},
                });
  CHECK(library_named(*sut, "libm.so.6").host_path == tree.root().string() + dir + "/libm.so.6");
}

TEST_CASE("libc_family of a closure without libc.so.6 is empty") {
  Tree tree;
  lay_out_app_bar_foo(tree);
  Result<ResolvedClosure> closure = resolve_dependencies("/bin/app", tree.inside());
  REQUIRE(closure.has_value());
  Result<std::vector<ResolvedLibrary>> sut = libc_family(*closure);
  REQUIRE(sut.has_value());
  CHECK(sut->empty());
}
