// common/trusted_directory.cpp: which directories tproc trusts with its sockets, locks and cache,
// checked the way ssh's StrictModes checks a home directory. Ownership by "another user" is
// made with chown, so the cases that need it run as root.

#include "common/trusted_directory.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/unique_fd.hpp"

namespace fs = std::filesystem;
using tproc::UniqueFd;
using tproc::DistrustReason;
using tproc::open_trusted_directory;

namespace {

constexpr uid_t kOther = 65534;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tproc-trust-XXXXXX").native();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

void make_dir(const fs::path& path, mode_t mode, uid_t owner) {
  fs::create_directories(path);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  REQUIRE(::chown(path.c_str(), owner, owner) == 0);
}

}  // namespace

TEST_CASE("a private directory below directories that keep others out is trusted") {
  TempDir temp;
  make_dir(temp.path / "mine", 0700, ::geteuid());
  DistrustReason why;
  UniqueFd dir(open_trusted_directory((temp.path / "mine").c_str(), ::geteuid(), false, why));
  REQUIRE(dir);
  struct stat st {};
  REQUIRE(::fstat(dir.get(), &st) == 0);
  struct stat by_path {};
  REQUIRE(::stat((temp.path / "mine").c_str(), &by_path) == 0);
  CHECK(st.st_ino == by_path.st_ino);
}

TEST_CASE("create makes every missing directory mode 0700 and returns the last") {
  TempDir temp;
  DistrustReason why;
  UniqueFd dir(open_trusted_directory((temp.path / "a" / "b" / "c").c_str(), ::geteuid(), true, why));
  REQUIRE(dir);
  for (const char* part : {"a", "a/b", "a/b/c"}) {
    struct stat st {};
    REQUIRE(::stat((temp.path / part).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
  }
}

TEST_CASE("the directory itself must keep its group and others from writing, and exist unless created") {
  TempDir temp;
  make_dir(temp.path / "open", 0777, ::geteuid());
  make_dir(temp.path / "group", 0770, ::geteuid());
  make_dir(temp.path / "readable", 0755, ::geteuid());
  DistrustReason why;
  CHECK(open_trusted_directory((temp.path / "open").c_str(), ::geteuid(), false, why) < 0);
  CHECK(why.code == EPERM);
  CHECK(std::string(why.path) == (temp.path / "open").native());
  CHECK(std::string(why.what) == "is writable by others (mode 0777)");
  CHECK(open_trusted_directory((temp.path / "group").c_str(), ::geteuid(), false, why) < 0);
  UniqueFd readable(open_trusted_directory((temp.path / "readable").c_str(), ::geteuid(), false, why));
  CHECK(readable);
  CHECK(open_trusted_directory((temp.path / "missing").c_str(), ::geteuid(), false, why) < 0);
  CHECK(why.code == ENOENT);
}

TEST_CASE("a directory on the way that others can write is refused unless it is sticky") {
  TempDir temp;
  make_dir(temp.path / "open" / "mine", 0700, ::geteuid());
  ::chmod((temp.path / "open").c_str(), 0777);
  make_dir(temp.path / "sticky" / "mine", 0700, ::geteuid());
  ::chmod((temp.path / "sticky").c_str(), 01777);
  DistrustReason why;
  CHECK(open_trusted_directory((temp.path / "open" / "mine").c_str(), ::geteuid(), false, why) < 0);
  CHECK(std::string(why.path) == (temp.path / "open").native());
  CHECK(std::string(why.what) == "is writable by others (mode 0777) and not sticky");
  UniqueFd sticky(open_trusted_directory((temp.path / "sticky" / "mine").c_str(), ::geteuid(), false, why));
  CHECK(sticky);
}

TEST_CASE("a symlink anywhere on the way is refused, naming it") {
  TempDir temp;
  make_dir(temp.path / "real" / "mine", 0700, ::geteuid());
  fs::create_directory_symlink(temp.path / "real", temp.path / "link");
  fs::create_directory_symlink(temp.path / "real" / "mine", temp.path / "last");
  DistrustReason why;
  CHECK(open_trusted_directory((temp.path / "link" / "mine").c_str(), ::geteuid(), false, why) < 0);
  CHECK(why.code == ELOOP);
  CHECK(std::string(why.path) == (temp.path / "link").native());
  CHECK(open_trusted_directory((temp.path / "last").c_str(), ::geteuid(), true, why) < 0);
  CHECK(std::string(why.path) == (temp.path / "last").native());
}

TEST_CASE("directories another user owns are refused, on the way and at the end") {
  if (::geteuid() != 0) {
    WARN("chown to another user needs root");
    return;
  }
  TempDir temp;
  make_dir(temp.path / "theirs" / "mine", 0700, 0);
  ::chown((temp.path / "theirs").c_str(), kOther, kOther);
  make_dir(temp.path / "theirs-too", 0700, kOther);
  DistrustReason why;
  CHECK(open_trusted_directory((temp.path / "theirs" / "mine").c_str(), 0, false, why) < 0);
  CHECK(std::string(why.path) == (temp.path / "theirs").native());
  CHECK(std::string(why.what) == "is owned by uid 65534 (neither you nor root)");
  CHECK(open_trusted_directory((temp.path / "theirs-too").c_str(), 0, false, why) < 0);
  CHECK(std::string(why.what) == "is owned by uid 65534, not you");
  // For that user, root's directories on the way are fine, but the last one must be theirs.
  UniqueFd theirs(open_trusted_directory((temp.path / "theirs-too").c_str(), kOther, false, why));
  CHECK(theirs);
  CHECK(open_trusted_directory(temp.path.c_str(), kOther, false, why) < 0);
}
