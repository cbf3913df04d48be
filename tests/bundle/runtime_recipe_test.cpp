// What `runtime: python3` takes from an interpreter's installation, on a real (small) tree laid
// out as a prefix: PREFIX/bin/python3.N and PREFIX/lib/python3.N.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bundle/runtime_recipe.hpp"
#include "bundle_test_support.hpp"

using namespace tproc::bundle;
using tproc::bundle::test::TempDir;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "x\n";
}

/// PREFIX/bin/python3.99 and, when `with_home`, its home with what the recipe takes and leaves.
std::string install(const TempDir& dir, bool with_home) {
  write(dir / "prefix/bin/python3.99");
  fs::create_symlink("python3.99", dir / "prefix/bin/python3");
  if (with_home)
    for (const char* name : {"os.py", "json/__init__.py", "lib-dynload/_json.so", "config-3.99-x86_64/libpython3.99.a",
                             "__pycache__/os.cpython-399.pyc", "json/__pycache__/x.pyc", "sitecustomize.py"})
      write(dir / (std::string("prefix/lib/python3.99/") + name));
  return dir / "prefix/bin/python3";
}

}  // namespace

TEST_CASE("the home of PREFIX/bin/python3.N is PREFIX/lib/python3.N, less config, host configuration and bytecode") {
  TempDir dir;
  auto home = python_home(install(dir, true));
  INFO((home ? "" : home.error().describe()));
  REQUIRE(home);
  CHECK(home->host_home == dir / "prefix/lib/python3.99");
  CHECK(home->bundle_home == "lib/python3.99");
  std::vector<std::string> paths;
  for (const CollectedFile& file : home->files) paths.push_back(file.path);
  CHECK(paths == std::vector<std::string>{"lib/python3.99/json/__init__.py", "lib/python3.99/lib-dynload/_json.so",
                                          "lib/python3.99/os.py"});
}

TEST_CASE("a python without its home, or an entrypoint that is no python, is refused naming the file") {
  TempDir dir;
  auto missing = python_home(install(dir, false));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "runtime: python3: no standard library for " + (dir / "prefix/bin/python3") + " at " +
                                         (dir / "prefix/lib/python3.99") + " (no os.py there)");
  write(dir / "bin/ruby");
  auto other = python_home(dir / "bin/ruby");
  REQUIRE_FALSE(other);
  CHECK(other.error().message().starts_with("runtime: python3: the entrypoint " + (dir / "bin/ruby") + " is not a python3.N"));
}

TEST_CASE("the warning is for a python whose os.py is not in the bundle, and only for a python") {
  TempDir dir;
  const std::string python = install(dir, true);
  CHECK(missing_home_warning(python, {"bin/python3"}).value_or("").find("add `runtime: python3`") != std::string::npos);
  CHECK_FALSE(missing_home_warning(python, {"bin/python3", "lib/python3.99/os.py"}));
  write(dir / "bin/app");
  CHECK_FALSE(missing_home_warning(dir / "bin/app", {"bin/app"}));
}
