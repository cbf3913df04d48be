// Bundles end to end: `tproc build` packages a program with everything it needs, `inspect` shows
// it, `tproc run SPACE app.bundle` unpacks it once into the cache and runs it with the bundle's
// own interpreter and libraries, `images` and `prune` keep the cache; bad manifests and damaged
// bundles are refused with one clear line, before anything is written outside the cache or
// started.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "elf_bytes.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The line of `text` that starts with `prefix` once its leading spaces are dropped, or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& line : lines(text)) {
    const size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) return line;
  }
  return "";
}

/// The file name of this machine's glibc interpreter, as hello's PT_INTERP names it
/// ("ld-linux-x86-64.so.2" on x86_64).
std::string interpreter_name() {
  const std::string interpreter = elf_interpreter(read_file(sample("hello", "hello")));
  return interpreter.substr(interpreter.find_last_of('/') + 1);
}

/// root()/hello/ with the hello sample and its own manifest, samples/hello/tproc.yaml.
fs::path hello_app(Sandbox& sandbox) {
  const fs::path dir = sandbox.root() / "hello";
  place_file(source_dir() + "/samples/hello/tproc.yaml", dir / "tproc.yaml");
  place_file(sample("hello", "hello"), dir / "hello");
  return dir;
}

/// Builds root()/hello.bundle from the hello sample's manifest.
std::string hello_bundle(Sandbox& sandbox) {
  return build_bundle(sandbox, (hello_app(sandbox) / "tproc.yaml").native(), "hello.bundle");
}

/// Identity and modification time of a file, to tell whether it was written again.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  timespec modified{};

  static FileStamp of(const fs::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) throw std::runtime_error("stat " + path.native());
    return {status.st_dev, status.st_ino, status.st_mtim};
  }
  bool operator==(const FileStamp& other) const {
    return device == other.device && inode == other.inode && modified.tv_sec == other.modified.tv_sec &&
           modified.tv_nsec == other.modified.tv_nsec;
  }
};

/// Runs `tproc build` on root()/bad/tproc.yaml holding `yaml`, which must fail. Checks that it
/// wrote no bundle and nothing else in the sandbox, and returns how it failed.
Outcome refused_build(Sandbox& sandbox, const std::string& yaml) {
  write_manifest(sandbox, "bad", yaml);
  const std::vector<std::string> before = tree(sandbox.root());
  Outcome built = sandbox.tproc({"build", "bad", "-o", "bad.bundle"});
  CHECK(tree(sandbox.root()) == before);
  CHECK_FALSE(fs::exists(sandbox.root() / "bad.bundle"));
  CHECK(built.out.empty());
  return built;
}

/// A copy of root()/FROM with its bytes changed by `change`, written to root()/TO.
template <class Change>
std::string damaged_copy(Sandbox& sandbox, const std::string& from, const std::string& to, Change change) {
  std::string bytes = read_file(sandbox.root() / from);
  change(bytes);
  return sandbox.write_file(to, bytes, 0644);
}

/// Runs the damaged bundle `bundle` and checks that it was refused before anything started or was
/// left in the cache; returns how `tproc run` failed.
Outcome refused_run(Sandbox& sandbox, const std::string& bundle) {
  const std::vector<std::string> before = tree(sandbox.root(), "home/bundles");
  Outcome run = sandbox.tproc({"run", "s", bundle});
  CHECK(tree(sandbox.root(), "home/bundles") == before);
  CHECK(run.out.empty());
  CHECK(cache_entries(sandbox).empty());
  CHECK(images(sandbox).empty());
  CHECK(sandbox.spaces().empty());
  return run;
}

}  // namespace

// --- building and running ------------------------------------------------------------------

TEST_CASE("the hello sample builds from its manifest and runs from the bundle") {
  Sandbox sandbox;
  hello_app(sandbox);
  Outcome built = sandbox.tproc({"build", "hello", "-o", "hello.bundle"});
  REQUIRE_THAT(built, ExitsWith(0));
  CHECK(std::regex_match(built.out, std::regex("hello\\.bundle sha256:[0-9a-f]{64} \\(\\d+ files\\)\n")));
  REQUIRE(fs::is_regular_file(sandbox.root() / "hello.bundle"));

  Outcome run = sandbox.tproc({"run", "demo", "hello.bundle"});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(std::regex_match(run.out, std::regex("hello from tproc \\(pid \\d+\\)\n")));
  CHECK(run.err.empty());
}

TEST_CASE("tproc run exits with the bundled program's exit status") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "exit-with", program("exit_with"), "args: [\"7\"]\n");
  CHECK_THAT(sandbox.tproc({"run", "s", bundle}), ExitsWith(7));
  CHECK_THAT(sandbox.tproc({"run", "s", bundle, "0"}), ExitsWith(0));
  CHECK_THAT(sandbox.tproc({"run", "s", bundle, "255"}), ExitsWith(255));
}

TEST_CASE("build -v lists every file it took and why, the interpreter and libc included") {
  Sandbox sandbox;
  hello_app(sandbox);
  Outcome built = sandbox.tproc({"build", "-v", "hello", "-o", "hello.bundle"});
  REQUIRE_THAT(built, ExitsWith(0));
  INFO(built.err);
  CHECK(contains(line_starting(built.err, "bin/hello "), "entrypoint"));
  CHECK(contains(line_starting(built.err, "lib/" + interpreter_name() + " "), "interpreter"));
  CHECK(contains(line_starting(built.err, "lib/libc.so.6 "), "needed by"));
  CHECK(contains(line_starting(built.err, "lib/libc.so.6 "), "hello"));
  // glibc loads these at run time without a DT_NEEDED naming them: they travel all the same.
  CHECK(contains(line_starting(built.err, "lib/libnss_files.so.2 "), "NSS"));
}

TEST_CASE("build -v names who needs each library it took") {
  // Every library line says why: the interpreter, glibc's run-time family, or "needed by" the
  // object whose DT_NEEDED brought it in -- also for what an NSS module needs (libcap.so.2 for
  // libnss_systemd.so.2 on Debian 12), and naming objects by their path in the bundle.
  Sandbox sandbox;
  hello_app(sandbox);
  Outcome built = sandbox.tproc({"build", "-v", "hello", "-o", "hello.bundle"});
  REQUIRE_THAT(built, ExitsWith(0));
  for (const std::string& line : lines(built.err)) {
    if (!contains(line, "  lib/") || contains(line, "interpreter") || contains(line, "glibc runtime")) continue;
    INFO(line);
    CHECK(contains(line, "needed by"));
    CHECK_FALSE(contains(line, "needed by hello/hello"));
  }
}

TEST_CASE("the same inputs give a byte-identical bundle") {
  Sandbox sandbox;
  const fs::path app = hello_app(sandbox);
  const std::string first = build_bundle(sandbox, (app / "tproc.yaml").native(), "first.bundle");
  // Same contents, other timestamps: file times do not leak into the bundle.
  for (const char* file : {"hello", "tproc.yaml"})
    fs::last_write_time(app / file, fs::last_write_time(app / file) - 24h);
  const std::string second = build_bundle(sandbox, (app / "tproc.yaml").native(), "second.bundle");

  const std::string first_bytes = read_file(first);
  REQUIRE(!first_bytes.empty());
  CHECK(first_bytes.size() == read_file(second).size());
  CHECK(first_bytes == read_file(second));
}

TEST_CASE("inspect shows a bundle's name, version and files, in a table and as JSON") {
  Sandbox sandbox;
  const std::string bundle = hello_bundle(sandbox);

  Outcome table = sandbox.tproc({"inspect", bundle});
  REQUIRE_THAT(table, ExitsWith(0));
  INFO(table.out);
  CHECK(contains(line_starting(table.out, "Name:"), "hello 1.0.0"));
  CHECK(std::regex_search(line_starting(table.out, "Digest:"), std::regex("sha256:[0-9a-f]{64}")));
  CHECK(contains(line_starting(table.out, "bin/hello "), "file"));
  CHECK(contains(line_starting(table.out, "lib/libc.so.6 "), "file"));

  Outcome json = sandbox.tproc({"inspect", "--format", "json", bundle});
  REQUIRE_THAT(json, ExitsWith(0));
  const Json document = Json::parse(json.out);
  CHECK(document.at("name").str() == "hello");
  CHECK(document.at("version").str() == "1.0.0");
  CHECK(std::regex_match(document.at("digest").str(), std::regex("sha256:[0-9a-f]{64}")));
  CHECK(document.at("manifest").at("entrypoint").str() == "hello");
  CHECK(document.at("manifest").at("libraries").str() == "bundled");
  bool saw_hello = false;
  for (const Json& file : document.at("files").items()) {
    // One schema for every file: a directory's digest and a file's link target are null.
    INFO(file.source());
    CHECK(file.members().size() == 6);
    CHECK((file.at("type").str() == "file") == file.at("digest").is_string());
    CHECK((file.at("type").str() == "symlink" || file.at("type").str() == "hardlink") == file.at("target").is_string());
    if (file.at("path").str() != "bin/hello") continue;
    saw_hello = true;
    CHECK(file.at("type").str() == "file");
    CHECK(static_cast<uintmax_t>(file.at("size").number()) == fs::file_size(sample("hello", "hello")));
    CHECK(std::regex_match(file.at("digest").str(), std::regex("sha256:[0-9a-f]{64}")));
  }
  CHECK(saw_hello);
}

// --- the cache -------------------------------------------------------------------------------

TEST_CASE("the first run unpacks the bundle into the cache and images lists it") {
  Sandbox sandbox;
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  CHECK(images(sandbox).empty());
  CHECK(cache_entries(sandbox).empty());

  REQUIRE_THAT(sandbox.tproc({"run", "s", bundle}), ExitsWith(0));

  const std::string hex = digest.substr(7);
  CHECK(cache_entries(sandbox) == std::vector<std::string>{hex});
  const fs::path entry = cache_root(sandbox) / hex;
  CHECK(fs::is_regular_file(entry / "bundle.json"));
  CHECK(read_file(entry / "rootfs/bin/hello") == read_file(sample("hello", "hello")));

  const std::vector<ImageInfo> listed = images(sandbox);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "hello");
  CHECK(listed[0].version == "1.0.0");
  CHECK(listed[0].digest == digest);

  Outcome table = sandbox.tproc({"images"});
  REQUIRE_THAT(table, ExitsWith(0));
  CHECK(contains(line_starting(table.out, "<none> "), "hello"));  // run from a file: no reference
  CHECK(contains(line_starting(table.out, "<none> "), "1.0.0"));
}

TEST_CASE("later runs reuse the cache without unpacking again") {
  Sandbox sandbox;
  const std::string bundle = hello_bundle(sandbox);
  REQUIRE_THAT(sandbox.tproc({"run", "s", bundle}), ExitsWith(0));
  const fs::path entry = cache_root(sandbox) / bundle_digest(sandbox, bundle).substr(7);
  const FileStamp marker = FileStamp::of(entry / "bundle.json");
  const FileStamp program = FileStamp::of(entry / "rootfs/bin/hello");

  REQUIRE_THAT(sandbox.tproc({"run", "s", bundle}), ExitsWith(0));
  CHECK(FileStamp::of(entry / "bundle.json") == marker);
  CHECK(FileStamp::of(entry / "rootfs/bin/hello") == program);

  // The same bundle under another name is the same content: still no second unpack.
  place_file(bundle, sandbox.root() / "copy.bundle");
  REQUIRE_THAT(sandbox.tproc({"run", "s", "copy.bundle"}), ExitsWith(0));
  CHECK(FileStamp::of(entry / "bundle.json") == marker);
  CHECK(FileStamp::of(entry / "rootfs/bin/hello") == program);
  CHECK(cache_entries(sandbox).size() == 1);
}

TEST_CASE("prune removes unused bundles and keeps one a running tproc uses") {
  Sandbox sandbox;
  const std::string hello = hello_bundle(sandbox);
  const std::string nap = bundle_of(sandbox, "nap", program("sleeper"), "args: [\"300\"]\n");
  REQUIRE_THAT(sandbox.tproc({"run", "s", hello}), ExitsWith(0));
  const std::string id = sandbox.detach({"s", nap});
  REQUIRE(images(sandbox).size() == 2);

  Outcome pruned = sandbox.tproc({"prune"});
  REQUIRE_THAT(pruned, ExitsWith(0));
  CHECK(contains(pruned.out, "removed hello"));
  CHECK_FALSE(contains(pruned.out, "removed nap"));
  std::vector<ImageInfo> left = images(sandbox);
  REQUIRE(left.size() == 1);
  CHECK(left[0].name == "nap");
  CHECK(cache_entries(sandbox) == std::vector<std::string>{left[0].digest.substr(7)});
  CHECK(sandbox.tproc_info("s", id).state == "running");

  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "s", id}), ExitsWith(0));
  // Once the daemon has reaped it, nothing holds the bundle any more.
  CHECK(eventually([&] {
    sandbox.tproc({"prune"});
    return images(sandbox).empty();
  }));
  CHECK(cache_entries(sandbox).empty());
  // A pruned bundle unpacks again on its next run.
  CHECK_THAT(sandbox.tproc({"run", "s", hello}), ExitsWith(0));
}

// --- what the manifest sets ------------------------------------------------------------------

TEST_CASE("arguments after the bundle replace the manifest's args") {
  Sandbox sandbox;
  const std::string bundle =
      bundle_of(sandbox, "args", program("print_args"), "args: [\"default one\", \"default-two\"]\n");

  Outcome defaults = sandbox.tproc({"run", "s", bundle});
  REQUIRE_THAT(defaults, ExitsWith(0));
  auto printed = lines(defaults.out);
  REQUIRE(printed.size() == 4);
  CHECK(printed[0] == "argc=3");
  CHECK(printed[2] == "[1]=default one");
  CHECK(printed[3] == "[2]=default-two");

  Outcome given = sandbox.tproc({"run", "s", bundle, "mine", "-e", "A=B"});
  REQUIRE_THAT(given, ExitsWith(0));
  printed = lines(given.out);
  REQUIRE(printed.size() == 5);
  CHECK(printed[0] == "argc=4");
  CHECK(printed[2] == "[1]=mine");
  CHECK(printed[3] == "[2]=-e");
  CHECK(printed[4] == "[3]=A=B");
}

TEST_CASE("the manifest's env reaches the program and -e overrides it") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "env", program("print_env_cwd"),
                                       "args: [GREETING]\nenv:\n  GREETING: from the manifest\n");

  Outcome plain = sandbox.tproc({"run", "s", bundle});
  REQUIRE_THAT(plain, ExitsWith(0));
  CHECK(lines(plain.out).at(1) == "GREETING=from the manifest");

  // The manifest's value wins over the caller's environment...
  Outcome caller = sandbox.tproc({"run", "s", bundle}, {.extra_env = {"GREETING=from the caller"}});
  REQUIRE_THAT(caller, ExitsWith(0));
  CHECK(lines(caller.out).at(1) == "GREETING=from the manifest");

  // ... and -e wins over the manifest.
  Outcome overridden = sandbox.tproc({"run", "-e", "GREETING=from -e", "s", bundle});
  REQUIRE_THAT(overridden, ExitsWith(0));
  CHECK(lines(overridden.out).at(1) == "GREETING=from -e");

  // The rest of the caller's environment still reaches the program.
  Outcome other = sandbox.tproc({"run", "s", bundle, "E2E_CALLER_ONLY"}, {.extra_env = {"E2E_CALLER_ONLY=yes"}});
  REQUIRE_THAT(other, ExitsWith(0));
  CHECK(lines(other.out).at(1) == "E2E_CALLER_ONLY=yes");
}

TEST_CASE("the manifest's workdir is the program's working directory unless --cwd says otherwise") {
  Sandbox sandbox;
  const fs::path work = sandbox.root() / "work";
  const fs::path elsewhere = sandbox.root() / "elsewhere";
  fs::create_directories(work);
  fs::create_directories(elsewhere);
  const std::string bundle = bundle_of(sandbox, "workdir", program("print_env_cwd"),
                                       "args: [HOME]\nworkdir: " + yaml_quote(work.native()) + "\n");

  Outcome run = sandbox.tproc({"run", "s", bundle});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(lines(run.out).at(0) == "cwd=" + work.native());

  Outcome moved = sandbox.tproc({"run", "--cwd", elsewhere.native(), "s", bundle});
  REQUIRE_THAT(moved, ExitsWith(0));
  CHECK(lines(moved.out).at(0) == "cwd=" + elsewhere.native());
}

TEST_CASE("limits from the manifest are in force inside the program") {
  Sandbox sandbox;
  const std::string bundle =
      bundle_of(sandbox, "limited", program("print_rlimit"), "limits:\n  open_files: 64\n");
  Outcome run = sandbox.tproc({"run", "s", bundle});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "open_files=64 64\n");
}

// --- libraries: the bundle's own, and none leaking ------------------------------------------

TEST_CASE("a bundled program can run the host's /bin/sh, which sees no LD_LIBRARY_PATH") {
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "shell", program("spawn_shell"));
  const std::string command =
      "echo \"LD_LIBRARY_PATH=${LD_LIBRARY_PATH-unset}\"; "
      "echo \"bundle mappings in sh: $(grep -c /bundles/ /proc/$$/maps)\"; "
      "echo \"shell on $(uname -s)\"";
  Outcome run = sandbox.tproc({"run", "s", bundle, command});
  REQUIRE_THAT(run, ExitsWith(0));
  INFO(run.out);
  auto printed = lines(run.out);
  REQUIRE(printed.size() == 4);
  // Whatever the caller had, never the bundle's lib/ (that would load its libc into the shell).
  if (std::getenv("LD_LIBRARY_PATH") == nullptr) CHECK(printed[0] == "LD_LIBRARY_PATH=unset");
  CHECK_FALSE(contains(printed[0], "/bundles/"));
  CHECK(printed[1] == "bundle mappings in sh: 0");
  CHECK(printed[2] == "shell on Linux");
  CHECK(printed[3] == "sh exited 0");
}

TEST_CASE("a bundled program dlopens a bundled plugin by name") {
  Sandbox sandbox;
  // The plugin sits in lib/ next to the manifest; its own dependency (libtproc_test_foo.so,
  // through its RUNPATH $ORIGIN) is found at build time. Then the sources are deleted.
  const fs::path app = sandbox.root() / "plugin-app";
  place_file(program("lib/libtproc_test_plugin.so"), app / "lib/libtproc_test_plugin.so");
  place_file(program("lib/libtproc_test_foo.so"), app / "lib/libtproc_test_foo.so");
  const std::string manifest = write_manifest(
      sandbox, "plugin-app",
      "name: plugin-app\nentrypoint: " + yaml_quote(program("dlopen_plugin")) +
          "\nargs: [libtproc_test_plugin.so, tproc_test_plugin_greeting]\nfiles: [lib/libtproc_test_plugin.so]\n");
  Outcome built = sandbox.tproc({"build", "-v", "-f", manifest, "-o", "plugin.bundle"});
  REQUIRE_THAT(built, ExitsWith(0));
  INFO(built.err);
  CHECK(contains(line_starting(built.err, "lib/libtproc_test_plugin.so "), "files"));
  CHECK(contains(line_starting(built.err, "lib/libtproc_test_foo.so "), "needed by"));
  fs::remove_all(app);

  Outcome run = sandbox.tproc({"run", "s", "plugin.bundle"});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "tproc_test_plugin_greeting: hello from libtproc_test_foo\n");
}

TEST_CASE("a program's own libraries, found through its RUNPATH at build time, travel in the bundle") {
  Sandbox sandbox;
  const fs::path app = sandbox.root() / "bar-app";
  place_file(program("needs_bar"), app / "needs_bar");
  place_file(program("lib/libtproc_test_bar.so"), app / "lib/libtproc_test_bar.so");
  place_file(program("lib/libtproc_test_foo.so"), app / "lib/libtproc_test_foo.so");
  const std::string bundle =
      build_bundle(sandbox, write_manifest(sandbox, "bar-app", "name: bar-app\nentrypoint: needs_bar\n"), "bar.bundle");
  // Nothing of the program is left outside the bundle.
  fs::remove_all(app);

  Outcome run = sandbox.tproc({"run", "s", bundle});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "bar: hello from libtproc_test_foo\n");
}

TEST_CASE("a bundled program runs on the bundle's libc and interpreter, mapped from the cache") {
  // Without a mount namespace the host's libraries stay reachable, so check what is mapped: the
  // space's maps also hold the daemon's own (host) libc, hence "a mapping from the cache".
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "nap", program("sleeper"), "args: [\"300\"]\n");
  const std::string interpreter = interpreter_name();

  Outcome inspected = sandbox.tproc({"inspect", "--format", "json", bundle});
  REQUIRE_THAT(inspected, ExitsWith(0));
  std::vector<std::string> inside;
  const Json document = Json::parse(inspected.out);
  for (const Json& file : document.at("files").items())
    if (file.at("type").str() == "file") inside.push_back(file.at("path").str());
  CHECK(std::count(inside.begin(), inside.end(), "lib/libc.so.6") == 1);
  CHECK(std::count(inside.begin(), inside.end(), "lib/" + interpreter) == 1);

  const std::string id = sandbox.detach({"s", bundle});
  const pid_t pid = sandbox.tproc_info("s", id).pid;
  const std::string rootfs =
      (fs::canonical(cache_root(sandbox)) / bundle_digest(sandbox, bundle).substr(7) / "rootfs").native();
  for (const std::string& file : std::vector<std::string>{"/lib/libc.so.6", "/lib/" + interpreter, "/bin/sleeper"}) {
    INFO(file);
    bool from_cache = false;
    for (const std::string& line : mappings_ending_with(pid, file)) from_cache |= contains(line, rootfs + file);
    CHECK(from_cache);
  }
  CHECK_THAT(sandbox.tproc({"stop", "-t", "1", "s", id}), ExitsWith(0));
}

TEST_CASE("a bundle whose library is missing fails before anything starts, naming the chain") {
  Sandbox sandbox;
  // libraries: host bundles only what `files` names: libtproc_test_bar.so travels, the
  // libtproc_test_foo.so it needs does not, and the host has none.
  const fs::path app = sandbox.root() / "missing";
  place_file(program("lib/libtproc_test_bar.so"), app / "lib/libtproc_test_bar.so");
  const std::string bundle = build_bundle(
      sandbox,
      write_manifest(sandbox, "missing",
                     "name: missing\nentrypoint: " + yaml_quote(program("needs_bar")) +
                         "\nlibraries: host\nfiles: [lib/libtproc_test_bar.so]\n"),
      "missing.bundle");

  Outcome run = sandbox.tproc({"run", "s", bundle});
  CHECK_THAT(run, IsOneLineError()
                      .naming("libtproc_test_foo.so (needed by lib/libtproc_test_bar.so, needed by bin/needs_bar) not found in: ")
                      .naming(bundle));
  CHECK(run.status == 127);
  CHECK(run.out.empty());
  CHECK(sandbox.spaces().empty());
}

// --- bad manifests -----------------------------------------------------------------------------

TEST_CASE("a manifest that is not valid YAML is refused with its line and column") {
  Sandbox sandbox;
  Outcome built = refused_build(sandbox, "name: bad\nentrypoint: [unclosed\n");
  CHECK_THAT(built, IsOneLineError().because_of({"YAML"}));
  CHECK(std::regex_search(built.err, std::regex("tproc\\.yaml:\\d+:\\d+: ")));
}

TEST_CASE("an unknown manifest key is refused, suggesting the nearest valid one") {
  Sandbox sandbox;
  Outcome built = refused_build(sandbox, "name: bad\nentrypoint: hello\nlibraires: bundled\n");
  CHECK_THAT(built, IsOneLineError().naming("tproc.yaml:3:1: libraires: ").naming("'libraries'").because_of({"unknown key"}));
}

TEST_CASE("a manifest value of the wrong type is refused, naming the field") {
  Sandbox sandbox;
  Outcome limits = refused_build(sandbox, "name: bad\nentrypoint: hello\nlimits:\n  open_files: many\n");
  CHECK_THAT(limits, IsOneLineError().naming("tproc.yaml:4:15: limits.open_files: ").because_of({"integer"}));
  Outcome args = refused_build(sandbox, "name: bad\nentrypoint: hello\nargs: just-one\n");
  CHECK_THAT(args, IsOneLineError().naming("tproc.yaml:3:7: args: ").because_of({"list"}));
}

TEST_CASE("a manifest without an entrypoint is refused") {
  Sandbox sandbox;
  Outcome built = refused_build(sandbox, "name: bad\nversion: 1.0.0\n");
  CHECK_THAT(built, IsOneLineError().naming("tproc.yaml:1:1: entrypoint: ").because_of({"missing", "required"}));
}

TEST_CASE("an entrypoint that is not an executable ELF for this machine is refused") {
  Sandbox sandbox;
  sandbox.write_file("bad/script", "#!/bin/sh\necho hi\n", 0755);
  sandbox.write_file("bad/riscv64", craft_elf64_riscv(), 0755);
  sandbox.write_file("bad/i386", craft_elf32_i386(), 0755);
  place_file(sample("hello", "hello"), sandbox.root() / "bad/not-executable");
  fs::permissions(sandbox.root() / "bad/not-executable", fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);

  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"script", {"ELF"}},
      {"riscv64", {"riscv", "machine", "architecture"}},
      {"i386", {"32-bit", "class", "ELFCLASS32"}},
      {"not-executable", {"executable", "permission"}},
      {"nowhere", {"No such file"}},
  };
  for (const auto& [entrypoint, reasons] : cases) {
    INFO("entrypoint: " << entrypoint);
    Outcome built = refused_build(sandbox, "name: bad\nentrypoint: " + entrypoint + "\n");
    CHECK_THAT(built, IsOneLineError().naming("tproc.yaml").naming("entrypoint " + entrypoint).because_of(reasons));
  }
}

TEST_CASE("a files glob that matches nothing is refused") {
  Sandbox sandbox;
  place_file(sample("hello", "hello"), sandbox.root() / "bad/hello");
  Outcome built = refused_build(sandbox, "name: bad\nentrypoint: hello\nfiles: [\"data/*.txt\"]\n");
  CHECK_THAT(built, IsOneLineError().naming("tproc.yaml").naming("files").naming("data/*.txt").because_of({"matches nothing"}));
}

// --- damaged bundles ---------------------------------------------------------------------------

TEST_CASE("a corrupted bundle is refused with a digest message, before anything is unpacked or started") {
  Sandbox sandbox;
  hello_bundle(sandbox);
  const std::string bundle =
      damaged_copy(sandbox, "hello.bundle", "corrupt.bundle", [](std::string& bytes) { bytes[bytes.size() / 2] ^= 0x20; });

  CHECK_THAT(refused_run(sandbox, bundle), IsOneLineError().naming(bundle).because_of({"digest"}));
  CHECK_THAT(sandbox.tproc({"inspect", bundle}), IsOneLineError().naming(bundle).because_of({"digest"}));
}

TEST_CASE("a truncated bundle is refused") {
  Sandbox sandbox;
  hello_bundle(sandbox);
  // Cut in the middle, and inside the last blob's data (the archive ends with its last block
  // and two zero blocks).
  const std::string half =
      damaged_copy(sandbox, "hello.bundle", "half.bundle", [](std::string& bytes) { bytes.resize(bytes.size() / 2); });
  const std::string short_tail =
      damaged_copy(sandbox, "hello.bundle", "tail.bundle", [](std::string& bytes) { bytes.resize(bytes.size() - 1536); });
  for (const std::string& bundle : {half, short_tail}) {
    INFO(bundle);
    CHECK_THAT(refused_run(sandbox, bundle), IsOneLineError().naming(bundle).because_of({"truncated", "digest"}));
  }
}
