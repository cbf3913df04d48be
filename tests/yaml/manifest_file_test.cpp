// Reading a manifest file from a user's path: a regular file, bounded in size; anything else is
// one clear error, never a hang.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "yaml/manifest_file.hpp"

using tproc::yaml::read_manifest_file;
namespace fs = std::filesystem;

namespace {

/// A temporary directory, removed at the end.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("tproc-manifest-file-test-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("a regular file is read whole") {
  TempDir dir;
  const std::string text = "name: app\nentrypoint: bin/app\n";
  auto read = read_manifest_file(dir.write("tproc.yaml", text), 1 << 20, "manifest");
  REQUIRE(read.has_value());
  CHECK(*read == text);
}

TEST_CASE("a FIFO, a directory or a missing file is refused at once, naming the path") {
  TempDir dir;
  const std::string fifo = (dir.path / "fifo.yaml").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto from_fifo = read_manifest_file(fifo, 1 << 20, "manifest");  // nobody writes: must not block
  REQUIRE_FALSE(from_fifo.has_value());
  CHECK(from_fifo.error().describe() == fifo + ": not a regular file");

  auto from_directory = read_manifest_file(dir.path.string(), 1 << 20, "manifest");
  REQUIRE_FALSE(from_directory.has_value());
  CHECK(from_directory.error().describe() == dir.path.string() + ": not a regular file");

  auto missing = read_manifest_file((dir.path / "absent.yaml").string(), 1 << 20, "manifest");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ENOENT);
  CHECK(missing.error().describe().find("absent.yaml") != std::string::npos);
}

TEST_CASE("a file over the limit is refused before it is read, in the words of its kind") {
  TempDir dir;
  const std::string big = dir.write("app.yaml", std::string((1 << 20) + 1, '#'));
  auto read = read_manifest_file(big, 1 << 20, "compose file");
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().code() == EFBIG);
  CHECK(read.error().describe() == big + ": compose file is larger than 1 MiB");
}
