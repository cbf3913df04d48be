// Interpreter bundles that carry their own home (issue 17): `runtime: python3` puts the
// standard library of the entrypoint's python3.X in the bundle and points PYTHONHOME at it, so the
// bundle runs where the host has no /usr/lib/python3.X: here a private mount namespace with a
// tmpfs over it. Without the recipe, `tproc build` warns that such a bundle leans on the host.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

/// Debian's python3.X (links resolved) and its standard library, or nullopt (with a warning).
struct Python {
  std::string executable;  ///< /usr/bin/python3.11
  std::string home;        ///< /usr/lib/python3.11
};

std::optional<Python> debian_python() {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("skipped: /usr/bin/python3 is missing (install the Debian package python3)");
    return std::nullopt;
  }
  const fs::path executable = fs::canonical("/usr/bin/python3");
  Python python{executable.native(), "/usr/lib/" + executable.filename().native()};
  if (!fs::exists(python.home + "/os.py")) {
    WARN("skipped: " << python.home << "/os.py is missing");
    return std::nullopt;
  }
  return python;
}

/// Builds root()/NAME.bundle of /usr/bin/python3 with the manifest lines `more`.
Outcome build_python(Sandbox& sandbox, const std::string& name, const std::string& more) {
  const std::string manifest = write_manifest(sandbox, name, "name: " + name + "\nentrypoint: /usr/bin/python3\n" + more);
  return sandbox.tproc({"build", "-f", manifest, "-o", (sandbox.root() / (name + ".bundle")).native()});
}

/// Runs `tproc ARGS...` in a private mount namespace where a tmpfs hides `hidden`.
Outcome tproc_with_hidden(Sandbox& sandbox, const std::string& hidden, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                                   "mount -t tmpfs hidden \"$1\" && shift && exec \"$@\"", "sh", hidden, tproc_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return sandbox.run_direct(argv);
}

std::string digest_hex(Sandbox& sandbox, const std::string& bundle) { return bundle_digest(sandbox, bundle).substr(7); }

}  // namespace

TEST_CASE("runtime: python3 bundles python's home: it runs json and C extensions where the host's is hidden") {
  const std::optional<Python> python = debian_python();
  if (!python) return;
  if (::geteuid() != 0 || !fs::exists("/usr/bin/unshare")) {
    WARN("skipped: hiding " << python->home << " needs root and unshare(1)");
    return;
  }
  Sandbox sandbox;
  REQUIRE_THAT(build_python(sandbox, "py", "runtime: python3\n"), ExitsWith(0));
  const std::string bundle = (sandbox.root() / "py.bundle").native();
  const std::string script = sandbox.write_file("probe.py", R"(import sys, os, json, _decimal
print("host", os.path.exists(")" + python->home + R"(/os.py"))
print("prefix", sys.prefix)
print("json", json.__file__)
print("ext", _decimal.__file__)
print("result", json.dumps({"sum": str(_decimal.Decimal("0.1") + _decimal.Decimal("0.2"))}))
)", 0644);

  const Outcome run = tproc_with_hidden(sandbox, python->home, {"run", "s", bundle, script});
  REQUIRE_THAT(run, ExitsWith(0));
  const std::string rootfs = (fs::canonical(cache_root(sandbox)) / digest_hex(sandbox, bundle) / "rootfs").native();
  const std::string version = fs::path(python->home).filename().native();
  CHECK(lines(run.out) == std::vector<std::string>{
                              "host False",
                              "prefix " + rootfs,
                              "json " + rootfs + "/lib/" + version + "/json/__init__.py",
                              "ext " + rootfs + "/lib/" + version + "/lib-dynload/_decimal.cpython-" +
                                  version.substr(6, 1) + version.substr(8) + "-x86_64-linux-gnu.so",
                              R"(result {"sum": "0.3"})",
                          });

  // The same python without the recipe does not start there: what ran above was the bundle.
  REQUIRE_THAT(build_python(sandbox, "bare", ""), ExitsWith(0));
  const Outcome bare = tproc_with_hidden(sandbox, python->home, {"run", "s2", (sandbox.root() / "bare.bundle").native(), script});
  CHECK(bare.status != 0);
  CHECK(bare.err.find("No module named 'encodings'") != std::string::npos);
}

TEST_CASE("tproc build warns when a python's standard library is not in the bundle, and only then") {
  const std::optional<Python> python = debian_python();
  if (!python) return;
  Sandbox sandbox;
  const Outcome bare = build_python(sandbox, "bare", "libraries: host\n");
  REQUIRE_THAT(bare, ExitsWith(0));
  CHECK(lines(bare.err) == std::vector<std::string>{"tproc: build: warning: /usr/bin/python3 is a python whose standard library (" +
                                                    python->home + ") is not in the bundle: it will run only where the host "
                                                    "has one; add `runtime: python3` to the manifest"});
  const Outcome hermetic = build_python(sandbox, "py", "libraries: host\nruntime: python3\n");
  REQUIRE_THAT(hermetic, ExitsWith(0));
  CHECK(hermetic.err.empty());
  // The recipe leaves out what only building C extensions needs, and stale bytecode.
  const Outcome inspected = sandbox.tproc({"inspect", (sandbox.root() / "py.bundle").native()});
  REQUIRE_THAT(inspected, ExitsWith(0));
  const std::string version = fs::path(python->home).filename().native();
  CHECK(inspected.out.find("lib/" + version + "/os.py") != std::string::npos);
  CHECK(inspected.out.find("/config-") == std::string::npos);
  CHECK(inspected.out.find("__pycache__") == std::string::npos);
}

TEST_CASE("runtime: python3 with an entrypoint that is not a python is refused, naming it") {
  Sandbox sandbox;
  const std::string manifest = write_manifest(
      sandbox, "app", "name: app\nentrypoint: " + yaml_quote(program("exit_with")) + "\nruntime: python3\n");
  CHECK_THAT(sandbox.tproc({"build", "-f", manifest, "-o", (sandbox.root() / "app.bundle").native()}),
             IsOneLineError().naming("runtime: python3: ").naming(program("exit_with")).because_of({"not a python3.N interpreter"}));
  CHECK_FALSE(fs::exists(sandbox.root() / "app.bundle"));
}
