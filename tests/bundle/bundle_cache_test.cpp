// Specification of BundleCache: a bundle is unpacked once into a directory named by its manifest
// digest; later ensure() calls reuse it without unpacking (and without hashing the archive), also
// when several threads or processes ask at once; list() and remove() manage what is there.

#include "bundle/bundle_cache.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bundle/oci_layout.hpp"
#include "bundle_test_support.hpp"

namespace {

using tproc::bundle::BundleCache;
using tproc::bundle::BundleContents;
using tproc::bundle::BundleFile;
using tproc::bundle::CachedBundle;
using tproc::bundle::write_bundle;
using namespace tproc::bundle::test;

/// Writes a small bundle whose bin/kv holds `payload`; returns its manifest digest.
std::string write_sample(const std::string& path, const std::string& payload, const std::string& version = "1.0") {
  BundleContents contents;
  contents.name = "kv";
  contents.version = version;
  contents.config_json = R"({"name":"kv","version":")" + version + R"("})";
  contents.files = {BundleFile::from_bytes("bin/kv", payload, 0755),
                    BundleFile::from_bytes("lib/libkv.so", std::string(100000, 'L'), 0644)};
  auto written = write_bundle(contents, path);
  REQUIRE(written);
  return written->manifest_digest;
}

struct stat stat_of(const std::string& path) {
  struct stat status;
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status;
}

}  // namespace

TEST_CASE("ensure() unpacks a bundle once into a directory named by its manifest digest") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "payload one");
  BundleCache cache(temp / "cache");
  auto cached = cache.ensure(temp / "kv.bundle");
  INFO((cached ? "" : cached.error().describe()));
  REQUIRE(cached);
  CHECK(cached->freshly_unpacked());
  CHECK(cached->digest() == digest);
  CHECK(cached->root() == temp / "cache/" + digest.substr(7) + "/rootfs");
  CHECK(cached->config_json() == R"({"name":"kv","version":"1.0"})");
  CHECK(read_file(cached->root() + "/bin/kv") == "payload one");
  CHECK(list_dir(temp / "cache/" + digest.substr(7)) ==
        std::vector<std::string>{"bundle.json", "config.json", "last-used", "rootfs"});
}

TEST_CASE("A second ensure() reuses the cache without unpacking") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "payload");
  BundleCache cache(temp / "cache");
  REQUIRE(cache.ensure(temp / "kv.bundle"));
  std::string marker = temp / "cache/" + digest.substr(7) + "/bundle.json";
  struct stat before = stat_of(marker);
  struct stat tree_before = stat_of(temp / "cache/" + digest.substr(7) + "/rootfs/bin/kv");

  SECTION("the bundle file is in the index") {
    CHECK(read_file(temp / "cache/index").find(digest.substr(7) + " ") == 0);
  }
  SECTION("the index is gone: index.json is read, and the cache is still used") {
    REQUIRE(::unlink((temp / "cache/index").c_str()) == 0);
  }

  auto again = cache.ensure(temp / "kv.bundle");
  REQUIRE(again);
  CHECK_FALSE(again->freshly_unpacked());
  CHECK(again->digest() == digest);
  CHECK(again->config_json() == R"({"name":"kv","version":"1.0"})");
  struct stat after = stat_of(marker);
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(stat_of(again->root() + "/bin/kv").st_ino == tree_before.st_ino);
}

TEST_CASE("The warm path trusts the index and does not read the archive") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "payload");
  BundleCache cache(temp / "cache");
  REQUIRE(cache.ensure(temp / "kv.bundle"));
  // Truncating the file would change its size and ctime; instead keep a copy whose key we forge
  // in the index: the copy holds garbage, and ensure() must still succeed from the index alone.
  write_file(temp / "garbage.bundle", "not a bundle at all");
  REQUIRE_FALSE(cache.ensure(temp / "garbage.bundle"));
  std::string index = read_file(temp / "cache/index");
  struct stat status = stat_of(temp / "garbage.bundle");
  char* resolved = ::realpath((temp / "garbage.bundle").c_str(), nullptr);
  std::string line = digest.substr(7) + " " + std::to_string(status.st_dev) + " " + std::to_string(status.st_ino) +
                     " " + std::to_string(status.st_size) + " " +
                     std::to_string(int64_t{status.st_mtim.tv_sec} * 1000000000 + status.st_mtim.tv_nsec) + " " +
                     std::to_string(int64_t{status.st_ctim.tv_sec} * 1000000000 + status.st_ctim.tv_nsec) + " " +
                     resolved + "\n";
  std::free(resolved);
  write_file(temp / "cache/index", index + line);
  auto cached = cache.ensure(temp / "garbage.bundle");
  INFO((cached ? "" : cached.error().describe()));
  REQUIRE(cached);
  CHECK_FALSE(cached->freshly_unpacked());
  CHECK(cached->digest() == digest);
}

TEST_CASE("A bundle rewritten at the same path is unpacked again under its new digest") {
  TempDir temp;
  std::string first = write_sample(temp / "kv.bundle", "version one", "1.0");
  BundleCache cache(temp / "cache");
  REQUIRE(cache.ensure(temp / "kv.bundle"));
  std::string second = write_sample(temp / "kv.bundle", "version two", "2.0");
  REQUIRE(first != second);
  auto cached = cache.ensure(temp / "kv.bundle");
  REQUIRE(cached);
  CHECK(cached->freshly_unpacked());
  CHECK(cached->digest() == second);
  CHECK(read_file(cached->root() + "/bin/kv") == "version two");
}

TEST_CASE("Concurrent ensure() from several threads unpacks once") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "shared");
  BundleCache cache(temp / "cache");
  std::atomic<int> unpacked{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto cached = cache.ensure(temp / "kv.bundle");
      if (!cached) {
        ++failed;
        return;
      }
      if (cached->freshly_unpacked()) ++unpacked;
      if (read_file(cached->root() + "/bin/kv") != "shared") ++failed;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed == 0);
  CHECK(unpacked == 1);
}

TEST_CASE("Concurrent ensure() from two processes unpacks once") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "shared");
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      BundleCache cache(temp / "cache");
      auto cached = cache.ensure(temp / "kv.bundle");
      // Exit status: 10 unpacked, 11 reused, 1 failed.
      _exit(!cached ? 1 : cached->freshly_unpacked() ? 10 : 11);
    }
    children.push_back(child);
  }
  std::vector<int> statuses;
  for (pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    statuses.push_back(WEXITSTATUS(status));
  }
  std::sort(statuses.begin(), statuses.end());
  CHECK(statuses == std::vector<int>{10, 11});
  CHECK(read_file(temp / "cache/" + digest.substr(7) + "/rootfs/bin/kv") == "shared");
}

TEST_CASE("list() reports cached bundles and remove() deletes one not in use") {
  TempDir temp;
  std::string one = write_sample(temp / "one.bundle", "one", "1.0");
  std::string two = write_sample(temp / "two.bundle", "two", "2.0");
  BundleCache cache(temp / "cache");
  {
    auto first = cache.ensure(temp / "one.bundle");
    REQUIRE(first);
  }
  auto held = cache.ensure(temp / "two.bundle");
  REQUIRE(held);

  auto listed = cache.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].digest == one);
  CHECK((*listed)[0].name == "kv");
  CHECK((*listed)[0].version == "1.0");
  CHECK((*listed)[0].disk_bytes >= 100000);
  CHECK((*listed)[0].last_used > 1600000000);
  CHECK((*listed)[0].root == temp / "cache/" + one.substr(7) + "/rootfs");
  CHECK((*listed)[1].digest == two);
  CHECK((*listed)[1].version == "2.0");

  auto busy = cache.remove(two);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code() == EBUSY);
  CHECK(busy.error().describe() == "remove bundle " + two + ": in use");

  REQUIRE(cache.remove(one));
  auto missing = cache.remove(one);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ENOENT);
  listed = cache.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].digest == two);
  CHECK(read_file(temp / "cache/index").find(one.substr(7)) == std::string::npos);

  held = cache.ensure(temp / "one.bundle");  // releases "two", brings "one" back
  REQUIRE(held);
  CHECK(held->freshly_unpacked());
  REQUIRE(cache.remove(two.substr(7)));  // the bare hex works too
}

TEST_CASE("Debris of an unpack that died is replaced") {
  TempDir temp;
  std::string digest = write_sample(temp / "kv.bundle", "payload");
  std::string directory = temp / "cache/" + digest.substr(7);
  REQUIRE(::mkdir((temp / "cache").c_str(), 0755) == 0);
  REQUIRE(::mkdir(directory.c_str(), 0755) == 0);
  REQUIRE(::mkdir((directory + "/rootfs").c_str(), 0555) == 0);
  write_file(directory + "/config.json", "half");
  BundleCache cache(temp / "cache");
  auto cached = cache.ensure(temp / "kv.bundle");
  INFO((cached ? "" : cached.error().describe()));
  REQUIRE(cached);
  CHECK(cached->freshly_unpacked());
  CHECK(read_file(cached->root() + "/bin/kv") == "payload");
}

TEST_CASE("A hostile bundle leaves nothing in the cache") {
  TempDir temp;
  write_file(temp / "evil.bundle",
             make_bundle(RawBundle{make_tar({{"bin/ok", TarEntry::Type::file, "fine"},
                                             {"../../escape", TarEntry::Type::file, "pwned"}},
                                            true)}));
  BundleCache cache(temp / "cache");
  auto cached = cache.ensure(temp / "evil.bundle");
  REQUIRE_FALSE(cached);
  CHECK(cached.error().describe() ==
        "bundle " + (temp / "evil.bundle") + ": layer entry \"../../escape\": path escapes the bundle");
  auto listed = cache.list();
  REQUIRE(listed);
  CHECK(listed->empty());
  CHECK(list_dir(temp / "cache") == std::vector<std::string>{"locks"});
  CHECK(list_dir(temp.path()) == std::vector<std::string>{"cache", "evil.bundle"});
}

// Trust (issue 14, security item 3): what the cache holds is run later, by root too, so it must
// be private, its files must not be writable by others, and an entry it did not complete itself
// is never taken for a bundle.

TEST_CASE("a layer's group- and world-writable modes are stripped when it is unpacked") {
  TempDir temp;
  BundleContents contents;
  contents.name = "ww";
  contents.version = "1.0";
  contents.config_json = R"({"name":"ww","version":"1.0"})";
  contents.files = {BundleFile::directory("share", 0777), BundleFile::from_bytes("bin/hello", "#!/bin/true\n", 0777),
                    BundleFile::from_bytes("share/notes", "n", 0666)};
  REQUIRE(write_bundle(contents, temp / "ww.bundle"));
  auto cached = BundleCache(temp / "cache").ensure(temp / "ww.bundle");
  REQUIRE(cached);
  CHECK((stat_of(cached->root() + "/bin/hello").st_mode & 07777) == 0755);
  CHECK((stat_of(cached->root() + "/share/notes").st_mode & 07777) == 0644);
  CHECK((stat_of(cached->root() + "/share").st_mode & 07777) == 0755);
}

TEST_CASE("an entry the cache did not complete itself is unpacked again, never run as found") {
  TempDir temp;
  write_sample(temp / "kv.bundle", "genuine");
  BundleCache cache(temp / "cache");
  std::string entry;
  {
    auto first = cache.ensure(temp / "kv.bundle");
    REQUIRE(first);
    entry = first->root().substr(0, first->root().size() - std::string("/rootfs").size());
  }
  SECTION("one of an older format (its files may be writable by others)") {
    std::string marker = read_file(entry + "/bundle.json");
    marker.erase(marker.find("\"format\":2,"), std::string("\"format\":2,").size());
    ::unlink((entry + "/bundle.json").c_str());
    write_file(entry + "/bundle.json", marker);
  }
  SECTION("one another user made (root's cache, written while its directory was open to others)") {
    if (::geteuid() != 0) {
      WARN("chown to another user needs root");
      return;
    }
    for (const char* path : {"", "/bundle.json", "/rootfs", "/rootfs/bin", "/rootfs/bin/kv"})
      REQUIRE(::chown((entry + path).c_str(), 65534, 65534) == 0);
  }
  ::unlink((entry + "/rootfs/bin/kv").c_str());
  write_file(entry + "/rootfs/bin/kv", "planted");
  auto again = cache.ensure(temp / "kv.bundle");
  REQUIRE(again);
  CHECK(again->freshly_unpacked());
  CHECK(read_file(again->root() + "/bin/kv") == "genuine");
  CHECK(stat_of(again->root() + "/bin/kv").st_uid == ::geteuid());
}

TEST_CASE("a cache others can write, or reached through a symlink, is refused with its path") {
  TempDir temp;
  write_sample(temp / "kv.bundle", "genuine");
  REQUIRE(::mkdir((temp / "open").c_str(), 0777) == 0);
  REQUIRE(::chmod((temp / "open").c_str(), 0777) == 0);
  auto open = BundleCache(temp / "open").ensure(temp / "kv.bundle");
  REQUIRE_FALSE(open);
  CHECK(open.error().describe().find(temp / "open") != std::string::npos);
  CHECK(open.error().describe().find("writable by others") != std::string::npos);

  REQUIRE(::mkdir((temp / "real").c_str(), 0700) == 0);
  REQUIRE(::symlink((temp / "real").c_str(), (temp / "link").c_str()) == 0);
  auto linked = BundleCache(temp / "link").ensure(temp / "kv.bundle");
  REQUIRE_FALSE(linked);
  CHECK(linked.error().describe().find("symlink") != std::string::npos);
  CHECK(list_dir(temp / "real").empty());
}
