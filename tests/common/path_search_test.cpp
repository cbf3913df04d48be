// find_on_path: the PATH search for the tools tproc runs (skopeo for registries, gdb for debug),
// as execvp does it.

#include "common/path_search.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using tproc::find_on_path;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the temp dir, removed with its contents when this goes.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "path-search-XXXXXX").native();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  void file(const std::string& name, fs::perms perms) const {
    std::ofstream(path / name) << "#!/bin/sh\n";
    fs::permissions(path / name, perms);
  }
};

}  // namespace

TEST_CASE("find_on_path takes the first directory that holds an executable file of that name") {
  ScratchDir first, second;
  second.file("tool", fs::perms::owner_all);
  CHECK(find_on_path("tool", (first.path.native() + ":" + second.path.native()).c_str()) == (second.path / "tool").native());
  first.file("tool", fs::perms::owner_all);
  CHECK(find_on_path("tool", (first.path.native() + ":" + second.path.native()).c_str()) == (first.path / "tool").native());
}

TEST_CASE("find_on_path skips a file it may not execute and a directory of that name, and says none with an empty string") {
  ScratchDir dir;
  dir.file("plain", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_directory(dir.path / "folder");
  CHECK(find_on_path("plain", dir.path.c_str()).empty());
  CHECK(find_on_path("folder", dir.path.c_str()).empty());
  CHECK(find_on_path("no-such-tool", dir.path.c_str()).empty());
}

TEST_CASE("find_on_path reads an empty PATH entry as the working directory, and no PATH as /usr/bin:/bin") {
  ScratchDir dir;
  dir.file("tool", fs::perms::owner_all);
  const fs::path before = fs::current_path();
  fs::current_path(dir.path);
  CHECK(find_on_path("tool", ":/nonexistent") == "./tool");
  CHECK(find_on_path("tool", "") == "./tool");
  fs::current_path(before);
  CHECK(find_on_path("sh", nullptr) == (fs::exists("/usr/bin/sh") ? "/usr/bin/sh" : "/bin/sh"));
}
