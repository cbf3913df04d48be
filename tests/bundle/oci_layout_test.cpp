// Specification of write_bundle(): what a bundle file holds, that the same contents always give
// the same bytes, what it refuses to write, and that standard OCI tools read what it writes.

#include "bundle/oci_layout.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "bundle/bundle_archive.hpp"
#include "bundle/json_value.hpp"
#include "bundle/sha256.hpp"
#include "bundle_test_support.hpp"

namespace {

using tproc::bundle::BundleArchive;
using tproc::bundle::BundleContents;
using tproc::bundle::BundleFile;
using tproc::bundle::JsonValue;
using tproc::bundle::write_bundle;
using namespace tproc::bundle::test;

constexpr const char* kConfig = R"({"name":"kv","version":"1.2.3","entrypoint":"bin/kv"})";

BundleContents sample_contents() {
  BundleContents contents;
  contents.name = "kv";
  contents.version = "1.2.3";
  contents.config_json = kConfig;
  contents.architecture = "amd64";
  contents.mtime = 0;
  contents.files = {
      BundleFile::from_bytes("lib/libkv.so.1.0", std::string(5000, 'L'), 0644),
      BundleFile::from_bytes("bin/kv", "#!/bin/false\n", 0755),
      BundleFile::symlink("lib/libkv.so.1", "libkv.so.1.0"),
      BundleFile::from_bytes("share/kv/" + std::string(120, 'n') + ".txt", "a name longer than ustar's 100 bytes", 0644),
      BundleFile::directory("var/empty", 0700),
  };
  return contents;
}

std::string blob(const std::vector<TarMember>& members, const std::string& digest) {
  for (const TarMember& member : members)
    if (member.name == "blobs/sha256/" + digest.substr(7)) return member.data;
  FAIL("no blob " << digest);
  return {};
}

}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors") {
  CHECK(*tproc::bundle::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(*tproc::bundle::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  tproc::bundle::Sha256 incremental;
  for (int i = 0; i < 1000; ++i) incremental.update(std::string(1000, 'a'));
  CHECK(*incremental.finish_hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(*tproc::bundle::digest_hex("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(tproc::bundle::digest_hex("sha512:abc"));
  CHECK_FALSE(tproc::bundle::digest_hex("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

TEST_CASE("A bundle is one tar holding an OCI image layout whose blobs match their digests") {
  TempDir temp;
  auto written = write_bundle(sample_contents(), temp / "kv.bundle");
  REQUIRE(written);
  std::vector<TarMember> members = read_tar(read_file(temp / "kv.bundle"));

  REQUIRE(members.size() == 7);
  CHECK(members[0].name == "oci-layout");
  CHECK(members[0].data == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(members[1].name == "index.json");
  CHECK(members[2].name == "blobs/");
  CHECK(members[3].name == "blobs/sha256/");
  for (size_t i = 4; i < 7; ++i) CHECK(members[i].name == "blobs/sha256/" + sha256_of(members[i].data));
  for (const TarMember& member : members) {
    CHECK(member.mtime == 0);
    CHECK(member.uid == 0);
    CHECK(member.gid == 0);
    CHECK(member.uname.empty());
    CHECK(member.gname.empty());
  }

  auto index = JsonValue::parse(members[1].data);
  REQUIRE(index);
  CHECK(index->find("schemaVersion")->integer() == 2);
  REQUIRE(index->find("manifests")->items().size() == 1);
  const JsonValue& descriptor = index->find("manifests")->items()[0];
  CHECK(descriptor.find("mediaType")->text() == "application/vnd.oci.image.manifest.v1+json");
  CHECK(descriptor.find("digest")->text() == written->manifest_digest);
  CHECK(descriptor.find("annotations")->find("org.opencontainers.image.ref.name")->text() == "kv:1.2.3");

  std::string manifest_text = blob(members, written->manifest_digest);
  CHECK(descriptor.find("size")->integer() == static_cast<int64_t>(manifest_text.size()));
  auto manifest = JsonValue::parse(manifest_text);
  REQUIRE(manifest);
  CHECK(manifest->find("schemaVersion")->integer() == 2);
  CHECK(manifest->find("mediaType")->text() == "application/vnd.oci.image.manifest.v1+json");
  const JsonValue& config_descriptor = *manifest->find("config");
  CHECK(config_descriptor.find("mediaType")->text() == "application/vnd.oci.image.config.v1+json");
  REQUIRE(manifest->find("layers")->items().size() == 1);
  const JsonValue& layer_descriptor = manifest->find("layers")->items()[0];
  CHECK(layer_descriptor.find("mediaType")->text() == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(layer_descriptor.find("digest")->text() == written->layer_digest);
  CHECK(layer_descriptor.find("size")->integer() == static_cast<int64_t>(written->layer_size));

  std::string config_text = blob(members, config_descriptor.find("digest")->text());
  CHECK(config_descriptor.find("size")->integer() == static_cast<int64_t>(config_text.size()));
  auto config = JsonValue::parse(config_text);
  REQUIRE(config);
  CHECK(config->find("architecture")->text() == "amd64");
  CHECK(config->find("os")->text() == "linux");
  CHECK(config->find("tproc")->source_in(config_text) == kConfig);

  // The layer is a tar.gz of the files, sorted, parents first, with the diff_id the config names.
  std::string layer = blob(members, written->layer_digest);
  REQUIRE(layer.substr(0, 2) == "\x1f\x8b");
  CHECK(layer[4] == 0);  // gzip MTIME, all four bytes: no timestamp
  CHECK(layer[5] == 0);
  CHECK(layer[6] == 0);
  CHECK(layer[7] == 0);
  std::vector<TarMember> files = read_tar(layer);
  std::vector<std::string> names;
  for (const TarMember& file : files) names.push_back(file.name);
  CHECK(names == std::vector<std::string>{"bin/", "bin/kv", "lib/", "lib/libkv.so.1", "lib/libkv.so.1.0", "share/",
                                          "share/kv/", "share/kv/" + std::string(120, 'n') + ".txt", "var/",
                                          "var/empty/"});
  CHECK(files[1].mode == 0755);
  CHECK(files[3].link == "libkv.so.1.0");
  CHECK(files[9].mode == 0700);
}

TEST_CASE("Writing the same contents twice gives byte-identical bundles") {
  TempDir temp;
  REQUIRE(write_bundle(sample_contents(), temp / "a.bundle"));

  BundleContents shuffled = sample_contents();
  std::swap(shuffled.files[0], shuffled.files[4]);
  std::swap(shuffled.files[1], shuffled.files[3]);
  REQUIRE(write_bundle(shuffled, temp / "b.bundle"));

  // Another process, another pid, a later time.
  ::sleep(1);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(write_bundle(sample_contents(), temp / "c.bundle") ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  std::string a = read_file(temp / "a.bundle");
  CHECK(a == read_file(temp / "b.bundle"));
  CHECK(a == read_file(temp / "c.bundle"));
}

TEST_CASE("SOURCE_DATE_EPOCH is every entry's mtime unless the contents set one") {
  TempDir temp;
  BundleContents contents = sample_contents();
  contents.mtime.reset();
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  auto written = write_bundle(contents, temp / "kv.bundle");
  ::setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  auto refused = write_bundle(contents, temp / "bad.bundle");
  ::unsetenv("SOURCE_DATE_EPOCH");
  REQUIRE(written);
  std::vector<TarMember> members = read_tar(read_file(temp / "kv.bundle"));
  for (const TarMember& member : members) CHECK(member.mtime == 1700000000);
  for (const TarMember& file : read_tar(blob(members, written->layer_digest))) CHECK(file.mtime == 1700000000);

  REQUIRE_FALSE(refused);
  CHECK(refused.error().describe() == "write bundle " + (temp / "bad.bundle") +
                                          ": SOURCE_DATE_EPOCH=\"yesterday\" is not a number of seconds");
}

TEST_CASE("Host files are copied with the mode asked for") {
  TempDir temp;
  write_file(temp / "program", "ELF or not, these are the bytes");
  ::chmod((temp / "program").c_str(), 0600);
  BundleContents contents = sample_contents();
  contents.files = {BundleFile::from_host("bin/program", temp / "program", 0755)};
  auto written = write_bundle(contents, temp / "kv.bundle");
  REQUIRE(written);
  std::vector<TarMember> files = read_tar(blob(read_tar(read_file(temp / "kv.bundle")), written->layer_digest));
  REQUIRE(files.size() == 2);
  CHECK(files[1].name == "bin/program");
  CHECK(files[1].data == "ELF or not, these are the bytes");
  CHECK(files[1].mode == 0755);
}

TEST_CASE("write_bundle refuses what unpacking would refuse, and leaves no file behind") {
  TempDir temp;
  ::mkdir((temp / "dir").c_str(), 0755);
  struct Case {
    std::vector<BundleFile> files;
    std::string message;
  };
  std::vector<Case> cases = {
      {{BundleFile::from_bytes("/etc/passwd", "x", 0644)}, "bundle entry \"/etc/passwd\": absolute path"},
      {{BundleFile::from_bytes("lib/../../x", "x", 0644)}, "bundle entry \"lib/../../x\": path escapes the bundle"},
      {{BundleFile::from_bytes("bin/su", "x", 04755)},
       "bundle entry \"bin/su\": mode 4755 has bits beyond rwx (setuid, setgid and sticky are refused)"},
      {{BundleFile::symlink("lib/up", "../../etc")},
       "bundle entry \"lib/up\": symlink target \"../../etc\" escapes the bundle"},
      {{BundleFile::symlink("lib/abs", "/etc/passwd")},
       "bundle entry \"lib/abs\": symlink target \"/etc/passwd\" is absolute"},
      {{BundleFile::symlink("lib", "sub"), BundleFile::from_bytes("lib/x", "x", 0644)},
       "bundle entry \"lib/x\": its parent \"lib\" is not a directory"},
      {{BundleFile::from_bytes("a", "1", 0644), BundleFile::from_bytes("./a", "2", 0644)},
       "bundle entry \"a\": listed twice"},
      {{BundleFile::from_host("bin/dir", temp / "dir", 0755)},
       "bundle entry \"bin/dir\": " + (temp / "dir") + " is not a regular file"},
  };
  for (const Case& c : cases) {
    BundleContents contents = sample_contents();
    contents.files = c.files;
    auto written = write_bundle(contents, temp / "bad.bundle");
    REQUIRE_FALSE(written);
    CHECK(written.error().describe() == "write bundle " + (temp / "bad.bundle") + ": " + c.message);
  }
  CHECK(list_dir(temp.path()) == std::vector<std::string>{"dir"});
}

TEST_CASE("A version outside the OCI ref grammar leaves the ref name as the bare name") {
  CHECK(tproc::bundle::oci_ref_name("kv", "1.2.3") == "kv:1.2.3");
  CHECK(tproc::bundle::oci_ref_name("kv", "1.0 beta") == "kv");
  CHECK(tproc::bundle::oci_ref_name("kv", "") == "kv");
}

TEST_CASE("skopeo inspect reads a bundle") {
  if (!have_program("skopeo")) {
    WARN("skopeo is not installed (Debian package: skopeo): OCI acceptance not checked");
    return;
  }
  TempDir temp;
  auto written = write_bundle(sample_contents(), temp / "kv.bundle");
  REQUIRE(written);
  auto [status, output] = run_command("skopeo inspect oci-archive:" + (temp / "kv.bundle"));
  INFO(output);
  REQUIRE(status == 0);
  auto inspected = JsonValue::parse(output);
  REQUIRE(inspected);
  CHECK(inspected->find("Digest")->text() == written->manifest_digest);
  CHECK(inspected->find("Architecture")->text() == "amd64");
  CHECK(inspected->find("Os")->text() == "linux");
  REQUIRE(inspected->find("Layers")->items().size() == 1);
  CHECK(inspected->find("Layers")->items()[0].text() == written->layer_digest);
}

TEST_CASE("umoci lists and unpacks a bundle's layout to the same files") {
  if (!have_program("umoci")) {
    WARN("umoci is not installed (Debian package: umoci): OCI acceptance not checked");
    return;
  }
  TempDir temp;
  REQUIRE(write_bundle(sample_contents(), temp / "kv.bundle"));
  ::mkdir((temp / "layout").c_str(), 0755);
  for (const TarMember& member : read_tar(read_file(temp / "kv.bundle"))) {
    if (member.type == 0040000) {
      ::mkdir((temp / "layout/" + member.name).c_str(), 0755);
    } else {
      write_file(temp / "layout/" + member.name, member.data);
    }
  }
  auto [listed, tags] = run_command("umoci ls --layout " + (temp / "layout"));
  INFO(tags);
  REQUIRE(listed == 0);
  CHECK(tags == "kv:1.2.3\n");

  auto [unpacked, output] =
      run_command("umoci unpack --rootless --image " + (temp / "layout") + ":kv:1.2.3 " + (temp / "unpacked"));
  INFO(output);
  REQUIRE(unpacked == 0);
  CHECK(read_file(temp / "unpacked/rootfs/bin/kv") == "#!/bin/false\n");
  CHECK(read_file(temp / "unpacked/rootfs/lib/libkv.so.1") == std::string(5000, 'L'));
}
