// Specification of BundleArchive: what open() verifies, what files() lists, and that unpack_to()
// reproduces the files exactly — or refuses a hostile archive with one line naming the entry and
// the reason, writing nothing outside its target (a canary directory beside the target stays
// empty, and no partial directory is left behind).

#include "bundle/bundle_archive.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/oci_layout.hpp"
#include "bundle_test_support.hpp"

namespace {

using tproc::bundle::BundleArchive;
using tproc::bundle::BundleContents;
using tproc::bundle::BundleFile;
using tproc::bundle::BundleLimits;
using tproc::bundle::LayerEntry;
using tproc::bundle::write_bundle;
using namespace tproc::bundle::test;
using Type = TarEntry::Type;

/// A bundle file, a target to unpack it to, and around it the places a hostile archive aims at:
///   TEMP/hostile.bundle   TEMP/work/out (the target)   TEMP/work/canary/   TEMP/outside/secret
struct Scene {
  TempDir temp;
  std::string bundle = temp / "hostile.bundle";
  std::string work = temp / "work";
  std::string target = work + "/out";
  std::string canary = work + "/canary";
  std::string secret = temp / "outside/secret";

  Scene() {
    REQUIRE(::mkdir(work.c_str(), 0755) == 0);
    REQUIRE(::mkdir(canary.c_str(), 0755) == 0);
    REQUIRE(::mkdir((temp / "outside").c_str(), 0755) == 0);
    write_file(secret, "secret");
  }

  /// Opens a bundle around `layer` (which open() must accept) and returns why unpacking refused it.
  std::string unpack_refusal(const std::vector<TarEntry>& layer, BundleLimits limits = {}) {
    write_file(bundle, make_bundle(RawBundle{make_tar(layer, true)}));
    auto archive = BundleArchive::open(bundle, limits);
    INFO((archive ? "" : archive.error().describe()));
    REQUIRE(archive);
    auto unpacked = archive->unpack_to(target);
    REQUIRE_FALSE(unpacked);
    expect_nothing_outside();
    return unpacked.error().describe();
  }

  /// Why open() refused the bundle `bytes`.
  std::string open_refusal(const std::string& bytes) {
    write_file(bundle, bytes);
    auto archive = BundleArchive::open(bundle);
    REQUIRE_FALSE(archive);
    expect_nothing_outside();
    return archive.error().describe();
  }

  void expect_nothing_outside() {
    CHECK(list_dir(canary).empty());
    CHECK(list_dir(work) == std::vector<std::string>{"canary"});  // no target, no partial debris
    CHECK(list_dir(temp / "outside") == std::vector<std::string>{"secret"});
    CHECK(read_file(secret) == "secret");
    struct stat status;
    REQUIRE(::stat(secret.c_str(), &status) == 0);
    CHECK(status.st_nlink == 1);
  }

  std::string refusal(const std::string& entry, const std::string& reason) const {
    return "bundle " + bundle + ": layer entry \"" + entry + "\": " + reason;
  }
};

mode_t mode_of(const std::string& path) {
  struct stat status;
  REQUIRE(::lstat(path.c_str(), &status) == 0);
  return status.st_mode;
}

std::string symlink_target(const std::string& path) {
  char buffer[4096];
  ssize_t length = ::readlink(path.c_str(), buffer, sizeof buffer);
  REQUIRE(length >= 0);
  return std::string(buffer, static_cast<size_t>(length));
}

/// `size` bytes that compression cannot shrink, the same on every run.
std::string incompressible(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  return bytes;
}

}  // namespace

TEST_CASE("A bundle round-trips: write, open and unpack give the same bytes, modes and links") {
  TempDir temp;
  const std::string big = incompressible(3 << 20);
  write_file(temp / "host-lib", big);
  BundleContents contents;
  contents.name = "kv";
  contents.version = "2.0";
  contents.config_json = R"({"name":"kv","version":"2.0","args":["--port","7000"]})";
  contents.files = {
      BundleFile::from_bytes("bin/kv", "#!/bin/false\n", 0755),
      BundleFile::from_host("lib/libbig.so.3.1", temp / "host-lib", 0644),
      BundleFile::symlink("lib/libbig.so.3", "libbig.so.3.1"),
      BundleFile::symlink("bin/lib", "../lib"),
      BundleFile::from_bytes("etc/kv.conf", "", 0600),
      BundleFile::directory("share/ro", 0555),
      BundleFile::from_bytes("share/ro/data", "read-only dir, readable file", 0444),
  };
  REQUIRE(write_bundle(contents, temp / "kv.bundle"));

  auto archive = BundleArchive::open(temp / "kv.bundle");
  INFO((archive ? "" : archive.error().describe()));
  REQUIRE(archive);
  CHECK(archive->name() == "kv");
  CHECK(archive->version() == "2.0");
  CHECK(archive->config_json() == contents.config_json);

  auto listing = archive->files(true);
  REQUIRE(listing);
  std::vector<std::string> paths;
  for (const LayerEntry& entry : *listing) paths.push_back(entry.path);
  CHECK(paths == std::vector<std::string>{"bin", "bin/kv", "bin/lib", "etc", "etc/kv.conf", "lib", "lib/libbig.so.3",
                                          "lib/libbig.so.3.1", "share", "share/ro", "share/ro/data"});
  const LayerEntry& library = (*listing)[7];
  CHECK(library.type == LayerEntry::Type::file);
  CHECK(library.size == big.size());
  CHECK(library.mode == 0644);
  CHECK(library.digest == "sha256:" + sha256_of(big));
  CHECK((*listing)[6].type == LayerEntry::Type::symlink);
  CHECK((*listing)[6].link_target == "libbig.so.3.1");
  CHECK((*listing)[0].digest.empty());

  std::string out = temp / "out";
  auto unpacked = archive->unpack_to(out);
  INFO((unpacked ? "" : unpacked.error().describe()));
  REQUIRE(unpacked);
  CHECK(read_file(out + "/bin/kv") == "#!/bin/false\n");
  CHECK((mode_of(out + "/bin/kv") & 07777) == 0755);
  CHECK(read_file(out + "/lib/libbig.so.3.1") == big);
  CHECK(read_file(out + "/lib/libbig.so.3") == big);
  CHECK(symlink_target(out + "/lib/libbig.so.3") == "libbig.so.3.1");
  CHECK(symlink_target(out + "/bin/lib") == "../lib");
  CHECK(read_file(out + "/etc/kv.conf").empty());
  CHECK((mode_of(out + "/etc/kv.conf") & 07777) == 0600);
  CHECK((mode_of(out + "/share/ro") & 07777) == 0555);
  CHECK((mode_of(out + "/share/ro/data") & 07777) == 0444);
  CHECK((mode_of(out) & 07777) == 0755);
  CHECK((mode_of(out + "/lib") & 07777) == 0755);
  CHECK(list_dir(temp.path()) == std::vector<std::string>{"host-lib", "kv.bundle", "out"});

  auto again = archive->unpack_to(out);
  REQUIRE_FALSE(again);
  CHECK(again.error().describe() == "bundle " + (temp / "kv.bundle") + ": unpack to " + out + ": already exists");
}

namespace {

/// A Progress that keeps every report.
struct RecordedProgress final : tproc::Progress {
  struct Report {
    std::string what;
    uint64_t files = 0;
    uint64_t done = 0;
    uint64_t total = 0;
  };
  std::vector<Report> reports;
  void report(std::string_view what, uint64_t done, uint64_t total, tproc::ProgressUnit) override {
    reports.push_back({std::string(what), 0, done, total});
  }
  void report_files(std::string_view what, uint64_t files, uint64_t done, uint64_t total) override {
    reports.push_back({std::string(what), files, done, total});
  }
};

}  // namespace

TEST_CASE("open and unpack_to tell a progress how far they got: bytes verified, then files unpacked and the layer read") {
  TempDir temp;
  const std::string noise = incompressible(1 << 20);
  write_file(temp / "noise", noise);
  BundleContents contents;
  contents.name = "kv";
  contents.version = "2.0";
  contents.config_json = R"({"name":"kv","version":"2.0"})";
  contents.files = {BundleFile::from_host("lib/a", temp / "noise", 0644), BundleFile::from_host("lib/b", temp / "noise", 0644),
                    BundleFile::symlink("lib/c", "a"), BundleFile::from_bytes("bin/kv", "#!/bin/false\n", 0755)};
  REQUIRE(write_bundle(contents, temp / "kv.bundle"));
  const uint64_t file_size = std::filesystem::file_size(temp / "kv.bundle");

  RecordedProgress opening;
  auto archive = BundleArchive::open(temp / "kv.bundle", {}, &opening);
  REQUIRE(archive);
  REQUIRE_FALSE(opening.reports.empty());
  for (size_t i = 0; i < opening.reports.size(); ++i) {
    CHECK(opening.reports[i].what == "verifying");
    CHECK(opening.reports[i].total == file_size);
    CHECK(opening.reports[i].done <= file_size);
    if (i > 0) CHECK(opening.reports[i].done >= opening.reports[i - 1].done);
  }

  RecordedProgress unpacking;
  REQUIRE(archive->unpack_to(temp / "out", &unpacking));
  REQUIRE(unpacking.reports.size() >= 3);  // a report per file at least
  for (size_t i = 0; i < unpacking.reports.size(); ++i) {
    CHECK(unpacking.reports[i].what == "unpacking");
    CHECK(unpacking.reports[i].total == archive->layer_size());
    if (i > 0) {
      CHECK(unpacking.reports[i].done >= unpacking.reports[i - 1].done);
      CHECK(unpacking.reports[i].files >= unpacking.reports[i - 1].files);
    }
  }
  // It ends with every regular file unpacked (a symlink is no file) and all of the layer read.
  CHECK(unpacking.reports.back().files == 3);
  CHECK(unpacking.reports.back().done == archive->layer_size());
  // Without one, nothing changes.
  REQUIRE(archive->unpack_to(temp / "quiet"));
  CHECK(read_file(temp / "quiet/lib/b") == noise);
}

TEST_CASE("Hardlinks inside the layer are unpacked as hardlinks") {
  Scene scene;
  write_file(scene.bundle, make_bundle(RawBundle{make_tar({{"bin/a", Type::file, "shared bytes", 0755},
                                                           {"bin/b", Type::hardlink, "", 0755, "bin/a"}},
                                                          true)}));
  auto archive = BundleArchive::open(scene.bundle);
  REQUIRE(archive);
  REQUIRE(archive->unpack_to(scene.target));
  struct stat a, b;
  REQUIRE(::stat((scene.target + "/bin/a").c_str(), &a) == 0);
  REQUIRE(::stat((scene.target + "/bin/b").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(read_file(scene.target + "/bin/b") == "shared bytes");
}

TEST_CASE("An absolute path in the layer is refused") {
  Scene scene;
  std::string name = scene.canary + "/pwned";
  CHECK(scene.unpack_refusal({{"bin/ok", Type::file, "fine"}, {name, Type::file, "pwned"}}) ==
        scene.refusal(name, "absolute path"));
}

TEST_CASE("A '..' component in the layer is refused") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"bin/ok", Type::file, "fine"}, {"../canary/pwned", Type::file, "pwned"}}) ==
        scene.refusal("../canary/pwned", "path escapes the bundle"));
  CHECK(scene.unpack_refusal({{"bin/../../canary/pwned", Type::file, "pwned"}}) ==
        scene.refusal("bin/../../canary/pwned", "path escapes the bundle"));
}

TEST_CASE("A symlink that escapes, and a file written through it, are refused") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"evil", Type::symlink, "", 0777, "../canary"}, {"evil/pwned", Type::file, "pwned"}}) ==
        scene.refusal("evil", "symlink target \"../canary\" escapes the bundle"));
  CHECK(scene.unpack_refusal({{"lib/evil", Type::symlink, "", 0777, scene.canary}}) ==
        scene.refusal("lib/evil", "symlink target \"" + scene.canary + "\" is absolute"));
  CHECK(scene.unpack_refusal({{"lib/evil", Type::symlink, "", 0777, "x/../../.."}}) ==
        scene.refusal("lib/evil", "symlink target \"x/../../..\" has \"..\" after a name (refused: the name "
                                  "could be a link that lands elsewhere)"));
}

TEST_CASE("A file written through a symlink that stays inside is refused too") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"real", Type::directory, "", 0755},
                              {"lib", Type::symlink, "", 0777, "real"},
                              {"lib/x", Type::file, "through the link"}}) ==
        scene.refusal("lib/x", "written through the symlink \"lib\""));
}

TEST_CASE("A hardlink that escapes is refused") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"stolen", Type::hardlink, "", 0644, "../../outside/secret"}}) ==
        scene.refusal("stolen", "hardlink target \"../../outside/secret\": path escapes the bundle"));
  CHECK(scene.unpack_refusal({{"stolen", Type::hardlink, "", 0644, scene.secret}}) ==
        scene.refusal("stolen", "hardlink target \"" + scene.secret + "\": absolute path"));
  CHECK(scene.unpack_refusal({{"stolen", Type::hardlink, "", 0644, "later"}, {"later", Type::file, "x"}}) ==
        scene.refusal("stolen", "hardlink target \"later\" is not an earlier file of the bundle"));
}

TEST_CASE("Device nodes and fifos are refused") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"dev/null", Type::char_device, "", 0666}}) ==
        scene.refusal("dev/null", "device node (a bundle holds only files, directories and links)"));
  CHECK(scene.unpack_refusal({{"run/pipe", Type::fifo, "", 0644}}) ==
        scene.refusal("run/pipe", "fifo (a bundle holds only files, directories and links)"));
}

TEST_CASE("setuid and setgid bits are refused, not stripped") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"bin/su", Type::file, "root please", 04755}}) ==
        scene.refusal("bin/su", "setuid bit set (refused, not stripped)"));
  CHECK(scene.unpack_refusal({{"bin/wall", Type::file, "tty please", 02755}}) ==
        scene.refusal("bin/wall", "setgid bit set (refused, not stripped)"));
  CHECK(scene.unpack_refusal({{"shared", Type::directory, "", 02775}}) ==
        scene.refusal("shared/", "setgid bit set (refused, not stripped)"));
}

TEST_CASE("Duplicate entries are refused") {
  Scene scene;
  CHECK(scene.unpack_refusal({{"bin/kv", Type::file, "first"}, {"bin/kv", Type::file, "second"}}) ==
        scene.refusal("bin/kv", "duplicate entry (an earlier entry has the same path)"));
  CHECK(scene.unpack_refusal({{"lib", Type::file, "a file"}, {"lib/x", Type::file, "under a file"}}) ==
        scene.refusal("lib/x", "its parent \"lib\" is not a directory"));
}

TEST_CASE("A size bomb is refused while it is read") {
  Scene scene;
  // 64 MiB of zeros: the bundle is a few hundred KiB.
  std::vector<TarEntry> bomb = {{"ok", Type::file, "fine"}, {"zeros", Type::file, std::string(64 << 20, '\0')}};
  BundleLimits limits;
  limits.max_total_bytes = 1 << 20;
  CHECK(scene.unpack_refusal(bomb, limits) == scene.refusal("zeros", "the layer expands past 1 MiB (the limit)"));
  struct stat status;
  REQUIRE(::stat(scene.bundle.c_str(), &status) == 0);
  CHECK(status.st_size < (1 << 20));

  // Many small files that only add up past the limit.
  std::vector<TarEntry> many;
  for (int i = 0; i < 20; ++i) many.push_back({"f" + std::to_string(i), Type::file, std::string(100 << 10, 'x')});
  CHECK(scene.unpack_refusal(many, limits) == scene.refusal("f10", "the layer expands past 1 MiB (the limit)"));

  limits = BundleLimits{};
  limits.max_entries = 10;
  CHECK(scene.unpack_refusal(many, limits) == scene.refusal("f10", "the layer has more than 10 entries (the limit)"));
  auto archive = BundleArchive::open(scene.bundle, limits);
  REQUIRE(archive);
  auto listing = archive->files();
  REQUIRE_FALSE(listing);
  CHECK(listing.error().describe() == scene.refusal("f10", "the layer has more than 10 entries (the limit)"));
}

TEST_CASE("A blob whose content does not match its digest is refused") {
  Scene scene;
  std::string layer = make_tar({{"bin/kv", Type::file, "genuine"}}, true);
  std::string tampered = make_tar({{"bin/kv", Type::file, "tampered"}}, true);
  RawBundle raw{layer};
  raw.layer_blob_override = tampered;
  CHECK(scene.open_refusal(make_bundle(raw)) == "bundle " + scene.bundle + ": blob sha256:" + sha256_of(layer) +
                                                    ": content does not match its digest (it hashes to sha256:" +
                                                    sha256_of(tampered) + ")");

  RawBundle wrong_size{layer};
  wrong_size.layer_size_override = layer.size() + 1;
  CHECK(scene.open_refusal(make_bundle(wrong_size)) ==
        "bundle " + scene.bundle + ": blob sha256:" + sha256_of(layer) + " is " + std::to_string(layer.size()) +
            " bytes, but its descriptor in the image manifest says " + std::to_string(layer.size() + 1));
}

TEST_CASE("A layer changed between open() and unpack_to() is refused") {
  Scene scene;
  std::string layer = make_tar({{"bin/kv", Type::file, "genuine"}}, true);
  write_file(scene.bundle, make_bundle(RawBundle{layer}));
  auto archive = BundleArchive::open(scene.bundle);
  REQUIRE(archive);
  RawBundle raw{layer};
  raw.layer_blob_override = make_tar({{"bin/kv", Type::file, "swapped!"}}, true);
  write_file(scene.bundle, make_bundle(raw));
  auto unpacked = archive->unpack_to(scene.target);
  REQUIRE_FALSE(unpacked);
  // The size or the digest gives it away, whichever is checked first.
  INFO(unpacked.error().describe());
  CHECK(unpacked.error().describe().starts_with("bundle " + scene.bundle + ": blob sha256:" + sha256_of(layer)));
  scene.expect_nothing_outside();
}

TEST_CASE("A truncated archive is refused") {
  Scene scene;
  std::string noise(200000, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string layer = make_tar({{"bin/kv", Type::file, noise}}, true);  // does not compress: cuts land in it
  std::string whole = make_bundle(RawBundle{layer});
  for (size_t cut : {size_t{700}, whole.size() / 2, whole.size() - 2000}) {
    INFO("cut at " << cut << " of " << whole.size());
    std::string message = scene.open_refusal(whole.substr(0, cut));
    CHECK(message.starts_with("bundle " + scene.bundle + ": "));
    bool says_why = message.find("truncated") != std::string::npos ||
                    message.find("does not contain") != std::string::npos;
    CHECK(says_why);
  }
  CHECK(scene.open_refusal(whole.substr(0, whole.size() / 2)) ==
        "bundle " + scene.bundle + ": archive is truncated or corrupt: Truncated tar archive");
}

TEST_CASE("An archive without index.json or oci-layout is refused") {
  Scene scene;
  RawBundle raw{make_tar({{"bin/kv", Type::file, "x"}}, true)};
  raw.with_index = false;
  CHECK(scene.open_refusal(make_bundle(raw)) == "bundle " + scene.bundle + ": no index.json: not an OCI image layout");
  raw.with_index = true;
  raw.with_oci_layout = false;
  CHECK(scene.open_refusal(make_bundle(raw)) == "bundle " + scene.bundle + ": no oci-layout file: not an OCI image layout");
  CHECK(scene.open_refusal("this is not a tar archive at all, just some text that goes on for a while").starts_with(
      "bundle " + scene.bundle + ": "));
}

TEST_CASE("read_manifest_digest() reads only index.json") {
  TempDir temp;
  BundleContents contents;
  contents.name = "kv";
  contents.version = "1";
  contents.config_json = "{}";
  contents.files = {BundleFile::from_bytes("bin/kv", "x", 0755)};
  auto written = write_bundle(contents, temp / "kv.bundle");
  REQUIRE(written);
  auto digest = BundleArchive::read_manifest_digest(temp / "kv.bundle");
  REQUIRE(digest);
  CHECK(*digest == written->manifest_digest);
  auto archive = BundleArchive::open(temp / "kv.bundle");
  REQUIRE(archive);
  CHECK(archive->manifest_digest() == written->manifest_digest);
  CHECK(archive->layer_digest() == written->layer_digest);
}
