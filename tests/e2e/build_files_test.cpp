// What a manifest's files: and exclude: bring into a bundle (issue 17, "files that glob right"),
// through the real `tproc build` and `tproc inspect`: `**` matches across directories as in
// gitignore, a directory brings its tree, exclude: takes files and trees out, the build's own
// output is never collected, an object file is data, and every error names the pattern.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

using Paths = std::vector<std::string>;

/// root()/app/: data/{a.txt, .hidden, sub/c.txt, sub/deep/d.json}, notes.txt and main.c.
fs::path project(Sandbox& sandbox) {
  for (const char* name : {"data/a.txt", "data/.hidden", "data/sub/c.txt", "data/sub/deep/d.json", "notes.txt", "main.c"})
    sandbox.write_file(std::string("app/") + name, std::string(name) + "\n", 0644);
  return sandbox.root() / "app";
}

/// Writes root()/app/tproc.yaml: the exit_with program, `libraries`, and the lines `more`.
std::string manifest(Sandbox& sandbox, const std::string& more, const std::string& libraries = "host") {
  return write_manifest(sandbox, "app", "name: app\nversion: 1.0.0\nentrypoint: " + yaml_quote(program("exit_with")) +
                                            "\nlibraries: " + libraries + "\n" + more);
}

Outcome build(Sandbox& sandbox, const std::string& manifest_path) {
  return sandbox.tproc({"build", "-f", manifest_path, "-o", (sandbox.root() / "app.bundle").native()});
}

/// The regular files `tproc inspect --format json` lists in `bundle`, but bin/ and lib/ (the
/// executable and its libraries), sorted.
Paths extra_files(Sandbox& sandbox, const std::string& bundle) {
  Outcome inspected = sandbox.tproc({"inspect", "--format", "json", bundle});
  REQUIRE_THAT(inspected, ExitsWith(0));
  const Json document = Json::parse(inspected.out);
  Paths paths;
  for (const Json& file : document.at("files").items()) {
    const std::string& path = file.at("path").str();
    if (file.at("type").str() == "file" && !path.starts_with("bin/") && !path.starts_with("lib/")) paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

/// Builds root()/app.bundle from `files` (and `more`) and returns extra_files() of it.
Paths bundled(Sandbox& sandbox, const std::string& more) {
  const Outcome built = build(sandbox, manifest(sandbox, more));
  REQUIRE_THAT(built, ExitsWith(0));
  return extra_files(sandbox, (sandbox.root() / "app.bundle").native());
}

const Paths kDataTree = {"data/.hidden", "data/a.txt", "data/sub/c.txt", "data/sub/deep/d.json"};

}  // namespace

TEST_CASE("files: data/** takes the whole tree below data, dot files and every depth included") {
  Sandbox sandbox;
  project(sandbox);
  CHECK(bundled(sandbox, "files: [\"data/**\"]\n") == kDataTree);
}

TEST_CASE("files: naming a directory brings its tree, with or without a trailing slash") {
  Sandbox sandbox;
  project(sandbox);
  CHECK(bundled(sandbox, "files: [data]\n") == kDataTree);
  CHECK(bundled(sandbox, "files: [data/]\n") == kDataTree);
}

TEST_CASE("** matches zero or more directories anywhere in a pattern, as in gitignore") {
  Sandbox sandbox;
  project(sandbox);
  CHECK(bundled(sandbox, "files: [\"**/*.txt\"]\n") == Paths{"data/a.txt", "data/sub/c.txt", "notes.txt"});
  CHECK(bundled(sandbox, "files: [\"data/**/*.json\"]\n") == Paths{"data/sub/deep/d.json"});
  // A single * still stops at a '/'.
  CHECK(bundled(sandbox, "files: [\"data/*.txt\"]\n") == Paths{"data/a.txt"});
}

TEST_CASE("a top-level ** never takes in the bundle it writes, nor earlier ones beside it") {
  Sandbox sandbox;
  const fs::path app = project(sandbox);
  manifest(sandbox, "files: [\"**\"]\n");
  // `tproc build` in the project writes app.bundle into it: the second build must not find the first.
  const SpawnOptions in_app{.cwd = app.native()};
  REQUIRE_THAT(sandbox.tproc({"build"}, in_app), ExitsWith(0));
  const std::string bundle = (app / "app.bundle").native();
  const std::string first = bundle_digest(sandbox, bundle);
  fs::copy_file(bundle, app / "app-0.9.bundle");  // an earlier release kept beside it
  REQUIRE_THAT(sandbox.tproc({"build"}, in_app), ExitsWith(0));
  CHECK(bundle_digest(sandbox, bundle) == first);
  CHECK(extra_files(sandbox, bundle) ==
        Paths{"data/.hidden", "data/a.txt", "data/sub/c.txt", "data/sub/deep/d.json", "main.c", "notes.txt", "tproc.yaml"});

  // Named literally, the bundle being written is an error, not a bundle inside itself.
  manifest(sandbox, "files: [app.bundle]\n");
  CHECK_THAT(sandbox.tproc({"build"}, in_app),
             IsOneLineError().naming("files: 'app.bundle' is the bundle this build writes"));
  manifest(sandbox, "files: [\"**\"]\n");

  // Into a directory of the project (dist/), the same. (A bundle elsewhere in the project is data.)
  fs::remove(bundle);
  fs::remove(app / "app-0.9.bundle");
  const std::string dist = (app / "dist" / "app.bundle").native();
  fs::create_directories(app / "dist");
  REQUIRE_THAT(sandbox.tproc({"build", "-o", dist}, in_app), ExitsWith(0));
  REQUIRE_THAT(sandbox.tproc({"build", "-o", dist}, in_app), ExitsWith(0));
  CHECK(bundle_digest(sandbox, dist) == first);
}

TEST_CASE("an object file or a static archive among files: is data, not a library to resolve") {
  Sandbox sandbox;
  const fs::path app = project(sandbox);
  REQUIRE_THAT(sandbox.run_direct({"/usr/bin/cc", "-c", "-x", "c", "-", "-o", (app / "data" / "part.o").native()},
                                  {.input = std::string("int part(void) { return 42; }\n")}),
               ExitsWith(0));
  REQUIRE_THAT(sandbox.run_direct({"/usr/bin/ar", "rcs", (app / "data" / "libpart.a").native(), (app / "data" / "part.o").native()}),
               ExitsWith(0));
  const Paths files = bundled(sandbox, "files: [data]\n");
  CHECK(std::find(files.begin(), files.end(), "data/part.o") != files.end());
  CHECK(std::find(files.begin(), files.end(), "data/libpart.a") != files.end());
  // Under libraries: bundled too, where a plugin (.so) brings its dependencies.
  const Outcome built = build(sandbox, manifest(sandbox, "files: [data]\n", "bundled"));
  CHECK_THAT(built, ExitsWith(0));
}

TEST_CASE("the exclude: list takes files and whole directories out of what files: brings") {
  Sandbox sandbox;
  const fs::path app = project(sandbox);
  sandbox.write_file("app/build/main.o", "not really an object\n", 0644);
  CHECK(bundled(sandbox, "files: [\"**\"]\nexclude: [\"**/*.txt\", build, tproc.yaml, \"data/.*\"]\n") ==
        Paths{"data/sub/deep/d.json", "main.c"});
  CHECK(bundled(sandbox, "files: [data]\nexclude: [data/sub]\n") == Paths{"data/.hidden", "data/a.txt"});
}

TEST_CASE("a files: pattern that matches nothing is an error naming it, and saying when exclude: took it all") {
  Sandbox sandbox;
  project(sandbox);
  fs::create_directories(sandbox.root() / "app" / "empty");
  for (const char* pattern : {"data/*.yaml", "missing/**", "empty"})
    CHECK_THAT(build(sandbox, manifest(sandbox, std::string("files: [\"") + pattern + "\"]\n")),
               IsOneLineError().naming("tproc.yaml").naming(std::string("files: '") + pattern + "' matches nothing"));
  CHECK_THAT(build(sandbox, manifest(sandbox, "files: [data/sub]\nexclude: [\"**/*.*\"]\n")),
             IsOneLineError().naming("files: 'data/sub' matches nothing that exclude: leaves in"));
  CHECK_FALSE(fs::exists(sandbox.root() / "app.bundle"));
}

TEST_CASE("a files: or exclude: pattern leading out of the project is refused, naming it") {
  Sandbox sandbox;
  project(sandbox);
  CHECK_THAT(build(sandbox, manifest(sandbox, "files: [\"../**\"]\n")),
             IsOneLineError().naming("files").naming("'../**'").because_of({"inside the manifest's directory"}));
  CHECK_THAT(build(sandbox, manifest(sandbox, "files: [/etc/passwd]\n")),
             IsOneLineError().naming("files").naming("'/etc/passwd'").because_of({"relative path"}));
  CHECK_THAT(build(sandbox, manifest(sandbox, "files: [data]\nexclude: [\"data//x\"]\n")),
             IsOneLineError().naming("exclude").naming("'data//x'").because_of({"empty segment"}));
  CHECK_FALSE(fs::exists(sandbox.root() / "app.bundle"));
}
