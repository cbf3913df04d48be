// What files: collects from a real directory tree: whole trees for directories and `**`, less
// exclude:, never the build's own output, never a link out of the project that a wildcard found.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bundle/file_collector.hpp"
#include "bundle_test_support.hpp"

using namespace tproc::bundle;
using tproc::bundle::test::TempDir;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& text = "x\n") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

/// A project: app/ with data/{a.txt, b.json, sub/c.txt, sub/deep/d.txt, .hidden} and main.c.
std::string project(const TempDir& dir) {
  const std::string app = dir / "app";
  for (const char* name : {"data/a.txt", "data/b.json", "data/sub/c.txt", "data/sub/deep/d.txt", "data/.hidden", "main.c"})
    write(app + "/" + name);
  return app;
}

std::vector<std::string> paths(const std::vector<CollectedFile>& files) {
  std::vector<std::string> result;
  for (const CollectedFile& file : files) result.push_back(file.path);
  return result;
}

std::vector<std::string> collected(const CollectRequest& request) {
  auto files = collect_files(request);
  INFO((files ? "" : files.error().describe()));
  REQUIRE(files);
  return paths(*files);
}

const std::vector<std::string> kDataTree = {"data/.hidden", "data/a.txt", "data/b.json", "data/sub/c.txt", "data/sub/deep/d.txt"};

}  // namespace

TEST_CASE("a directory, its trailing **, and the directory with a slash all bring its whole tree") {
  TempDir dir;
  const std::string app = project(dir);
  CHECK(collected({app, {"data"}, {}, ""}) == kDataTree);
  CHECK(collected({app, {"data/**"}, {}, ""}) == kDataTree);
  CHECK(collected({app, {"data/"}, {}, ""}) == kDataTree);
}

TEST_CASE("** matches across directories, at any depth") {
  TempDir dir;
  const std::string app = project(dir);
  CHECK(collected({app, {"**/*.txt"}, {}, ""}) ==
        std::vector<std::string>{"data/a.txt", "data/sub/c.txt", "data/sub/deep/d.txt"});
  CHECK(collected({app, {"data/**/d.txt"}, {}, ""}) == std::vector<std::string>{"data/sub/deep/d.txt"});
}

TEST_CASE("a single * takes the files it matches and the trees of the directories it matches") {
  TempDir dir;
  const std::string app = project(dir);
  CHECK(collected({app, {"data/*"}, {}, ""}) == kDataTree);
  CHECK(collected({app, {"data/*.json"}, {}, ""}) == std::vector<std::string>{"data/b.json"});
}

TEST_CASE("the exclude: list drops files and prunes whole directories, in the same pattern language") {
  TempDir dir;
  const std::string app = project(dir);
  CHECK(collected({app, {"data/**"}, {"**/*.txt", ".hidden"}, ""}) ==
        std::vector<std::string>{"data/.hidden", "data/b.json"});
  CHECK(collected({app, {"data/**"}, {"data/sub", "data/.*"}, ""}) == std::vector<std::string>{"data/a.txt", "data/b.json"});
}

TEST_CASE("the exclude: list patterns are anchored at the manifest's directory, as in .dockerignore, not at every depth as in .gitignore") {
  TempDir dir;
  const std::string app = project(dir);
  write(app + "/notes.txt");
  // gitignore would drop every .txt; .dockerignore, and tproc, only the top-level one.
  CHECK(collected({app, {"**"}, {"*.txt"}, ""}) ==
        std::vector<std::string>{"data/.hidden", "data/a.txt", "data/b.json", "data/sub/c.txt", "data/sub/deep/d.txt", "main.c"});
  CHECK(collected({app, {"**"}, {"**/*.txt"}, ""}) == std::vector<std::string>{"data/.hidden", "data/b.json", "main.c"});
  CHECK(collected({app, {"**"}, {"sub"}, ""}) == std::vector<std::string>{"data/.hidden", "data/a.txt", "data/b.json",
                                                                         "data/sub/c.txt", "data/sub/deep/d.txt", "main.c", "notes.txt"});
}

TEST_CASE("a pattern whose every match is excluded is an error naming it") {
  TempDir dir;
  const std::string app = project(dir);
  auto files = collect_files({app, {"data/sub/**"}, {"data/sub"}, ""});
  REQUIRE_FALSE(files);
  CHECK(files.error().message() == "files: 'data/sub/**' matches nothing that exclude: leaves in");
  auto literal = collect_files({app, {"main.c"}, {"*.c"}, ""});
  REQUIRE_FALSE(literal);
  CHECK(literal.error().message() == "files: 'main.c' matches nothing that exclude: leaves in");
}

TEST_CASE("a pattern matching nothing, or an empty directory, is an error naming the pattern") {
  TempDir dir;
  const std::string app = project(dir);
  fs::create_directories(app + "/empty/inner");
  for (const char* text : {"nothing/**", "data/*.yaml", "empty", "main.c/*"}) {
    auto files = collect_files({app, {text}, {}, ""});
    INFO(text);
    REQUIRE_FALSE(files);
    CHECK(files.error().message() == std::string("files: '") + text + "' matches nothing");
  }
}

TEST_CASE("a bad exclude: pattern is named as one") {
  TempDir dir;
  const std::string app = project(dir);
  auto files = collect_files({app, {"data"}, {"../x"}, ""});
  REQUIRE_FALSE(files);
  CHECK(files.error().message().starts_with("exclude: '../x' must be a relative path"));
}

TEST_CASE("a file two patterns match comes once, with the first pattern") {
  TempDir dir;
  const std::string app = project(dir);
  auto files = collect_files({app, {"data/a.txt", "data/**"}, {}, ""});
  REQUIRE(files);
  REQUIRE(files->size() == kDataTree.size());
  CHECK(files->at(0).path == "data/a.txt");
  CHECK(files->at(0).pattern == "data/a.txt");
  CHECK(files->at(1).pattern == "data/**");
}

TEST_CASE("the bundle being written and earlier bundles beside it are never collected") {
  TempDir dir;
  const std::string app = project(dir);
  const std::string bundle = tproc::bundle::test::make_tar({{"x", tproc::bundle::test::TarEntry::Type::file, "x"}}, false);
  write(app + "/app.bundle", bundle);              // the last build, about to be replaced
  write(app + "/app-0.9.bundle", bundle);          // an earlier one beside it
  write(app + "/app.bundle.tmp-Ab12Cd", "partial");  // a build being written
  write(app + "/notes.bundle", "not a bundle, only named like one\n");
  write(app + "/data/archive.bundle", bundle);     // a bundle elsewhere in the project is data
  const std::vector<std::string> files = collected({app, {"**"}, {}, app + "/app.bundle"});
  CHECK(std::find(files.begin(), files.end(), "app.bundle") == files.end());
  CHECK(std::find(files.begin(), files.end(), "app-0.9.bundle") == files.end());
  CHECK(std::find(files.begin(), files.end(), "app.bundle.tmp-Ab12Cd") == files.end());
  CHECK(std::find(files.begin(), files.end(), "notes.bundle") != files.end());
  CHECK(std::find(files.begin(), files.end(), "data/archive.bundle") != files.end());
  CHECK(std::find(files.begin(), files.end(), "main.c") != files.end());

  auto named = collect_files({app, {"app.bundle"}, {}, app + "/app.bundle"});
  REQUIRE_FALSE(named);
  CHECK(named.error().message() == "files: 'app.bundle' is the bundle this build writes");
}

TEST_CASE("a link loop inside the project is walked once, not forever") {
  TempDir dir;
  const std::string app = project(dir);
  fs::create_directory_symlink(".", app + "/data/sub/again");
  CHECK(collected({app, {"data/**"}, {}, ""}) == kDataTree);
}

TEST_CASE("a linked directory a wildcard reaches must stay inside what the pattern names literally") {
  TempDir dir;
  const std::string app = project(dir);
  write(dir / "outside/secret.txt");
  fs::create_directory_symlink(dir / "outside", app + "/data/out");
  auto files = collect_files({app, {"data/**"}, {}, ""});
  REQUIRE_FALSE(files);
  CHECK(files.error().message().starts_with("files: data/out leads out of the project (to " + (dir / "outside") + ")"));
  // Excluded, it is never looked at.
  CHECK(collected({app, {"data/**"}, {"data/out"}, ""}) == kDataTree);
  // Named literally, the link is the manifest's choice.
  CHECK(collected({app, {"data/out"}, {}, ""}) == std::vector<std::string>{"data/out/secret.txt"});
}

TEST_CASE("a FIFO in a collected tree is an error naming it") {
  TempDir dir;
  const std::string app = project(dir);
  REQUIRE(::mkfifo((app + "/data/sub/pipe").c_str(), 0644) == 0);
  auto files = collect_files({app, {"data"}, {}, ""});
  REQUIRE_FALSE(files);
  CHECK(files.error().message() == "files: data/sub/pipe is a FIFO: only regular files are bundled");
  CHECK(collected({app, {"data"}, {"**/pipe"}, ""}) == kDataTree);
}
