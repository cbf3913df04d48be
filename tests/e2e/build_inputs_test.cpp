// What `tproc build` takes in (issue 14, security item 4): files: never follow a link out of the
// project (data/notes.txt -> /etc/shadow put /etc/shadow in the bundle), and a FIFO or a device
// named as the entrypoint or matched by files: is an error, never a blocking open.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

/// Writes root()/app/tproc.yaml with `files` and the entrypoint `entrypoint`; returns its path.
std::string app_manifest(Sandbox& sandbox, const std::string& files, const std::string& entrypoint = program("exit_with")) {
  return write_manifest(sandbox, "app", "name: app\nversion: 1.0.0\nentrypoint: " + yaml_quote(entrypoint) +
                                            "\nlibraries: host\nfiles: " + files + "\n");
}

Outcome build(Sandbox& sandbox, const std::string& manifest) {
  return sandbox.tproc({"build", "-f", manifest, "-o", (sandbox.root() / "app.bundle").native()});
}

}  // namespace

TEST_CASE("a file matched by files: that links out of the project is an error naming it") {
  Sandbox sandbox;
  const std::string secret = sandbox.write_file("outside/secret", "not for the bundle\n", 0600);
  const std::string manifest = app_manifest(sandbox, "[\"data/*\"]");
  fs::create_directories(sandbox.root() / "app" / "data");
  sandbox.write_file("app/data/kept.txt", "kept\n", 0644);
  fs::create_symlink(secret, sandbox.root() / "app" / "data" / "notes.txt");
  const Outcome built = build(sandbox, manifest);
  CHECK_THAT(built, IsOneLineError().naming("data/notes.txt").naming(secret).because_of({"out of the project"}));
  CHECK_FALSE(fs::exists(sandbox.root() / "app.bundle"));
}

TEST_CASE("a link a wildcard matches must stay inside, one the pattern names literally is followed") {
  Sandbox sandbox;
  sandbox.write_file("outside/one.txt", "outside\n", 0644);
  fs::create_directories(sandbox.root() / "app");
  fs::create_directory_symlink(sandbox.root() / "outside", sandbox.root() / "app" / "linked");
  // The walk stops at the link itself, which the error names, with the pattern that reached it.
  CHECK_THAT(build(sandbox, app_manifest(sandbox, "[\"*/one.txt\"]")),
             IsOneLineError().naming("files: linked ").naming("'*/one.txt'").because_of({"out of the project"}));

  // Named literally, the linked directory is the manifest's choice (as lib/python3.11 -> /usr/lib/...).
  REQUIRE(build(sandbox, app_manifest(sandbox, "[\"linked/*\"]")).status == 0);
  CHECK(sandbox.tproc({"inspect", (sandbox.root() / "app.bundle").native()}).out.find("linked/one.txt") != std::string::npos);

  sandbox.write_file("app/data/notes.txt", "notes\n", 0644);
  fs::create_symlink("notes.txt", sandbox.root() / "app" / "data" / "alias.txt");
  REQUIRE(build(sandbox, app_manifest(sandbox, "[\"data/*\"]")).status == 0);
  CHECK(sandbox.tproc({"inspect", (sandbox.root() / "app.bundle").native()}).out.find("data/alias.txt") != std::string::npos);
}

TEST_CASE("a FIFO matched by files: or named as the entrypoint is an error, not a hang") {
  Sandbox sandbox;
  fs::create_directories(sandbox.root() / "app" / "data");
  REQUIRE(::mkfifo((sandbox.root() / "app" / "data" / "pipe").c_str(), 0644) == 0);
  CHECK_THAT(build(sandbox, app_manifest(sandbox, "[\"data/*\"]")),
             IsOneLineError().naming("data/pipe").because_of({"FIFO"}));
  REQUIRE(::mkfifo((sandbox.root() / "app" / "entry").c_str(), 0755) == 0);
  CHECK_THAT(build(sandbox, app_manifest(sandbox, "[]", "entry")), IsOneLineError().naming("entry").because_of({"FIFO"}));
  CHECK_FALSE(fs::exists(sandbox.root() / "app.bundle"));
}

TEST_CASE("a device matched by files: is an error") {
  Sandbox sandbox;
  if (::geteuid() != 0) {
    WARN("mknod needs root");
    return;
  }
  fs::create_directories(sandbox.root() / "app" / "data");
  REQUIRE(::mknod((sandbox.root() / "app" / "data" / "zero").c_str(), S_IFCHR | 0644, makedev(1, 5)) == 0);
  CHECK_THAT(build(sandbox, app_manifest(sandbox, "[\"data/*\"]")),
             IsOneLineError().naming("data/zero").because_of({"device"}));
}
