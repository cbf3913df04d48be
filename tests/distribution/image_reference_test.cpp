// Specification of ImageReference: the names docker and podman accept for an image, normalised
// as docker normalises them (distribution/reference's ParseNormalizedNamed), and refused with a
// one-line reason where docker refuses them.

#include "distribution/image_reference.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

namespace {

using tproc::distribution::ImageReference;
using tproc::distribution::looks_like_image_reference;

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string normalised(const std::string& text) {
  auto parsed = ImageReference::parse(text);
  if (!parsed) FAIL(text << ": " << parsed.error().describe());
  return parsed->full();
}

/// The reason parse() gives for refusing `text`; fails the test if it accepts it.
std::string refusal(const std::string& text) {
  auto parsed = ImageReference::parse(text);
  if (parsed) FAIL(text << " was accepted as " << parsed->full());
  CHECK(parsed.error().code() == EINVAL);
  return parsed.error().describe();
}

}  // namespace

TEST_CASE("no registry means docker.io, and a one-word path there gains library/") {
  CHECK(normalised("alpine") == "docker.io/library/alpine:latest");
  CHECK(normalised("team/kv") == "docker.io/team/kv:latest");
  CHECK(normalised("docker.io/alpine") == "docker.io/library/alpine:latest");
  CHECK(normalised("index.docker.io/alpine:3") == "docker.io/library/alpine:3");  // docker's legacy name
  CHECK(normalised("a/b/c/d") == "docker.io/a/b/c/d:latest");
}

TEST_CASE("no tag and no digest means latest, a digest alone keeps no tag, both are kept") {
  CHECK(normalised("alpine:3.19") == "docker.io/library/alpine:3.19");
  auto pinned = ImageReference::parse("ghcr.io/x/kv@" + kDigest);
  REQUIRE(pinned);
  CHECK(pinned->tag().empty());
  CHECK(pinned->digest() == kDigest);
  CHECK(pinned->full() == "ghcr.io/x/kv@" + kDigest);
  CHECK(normalised("kv:1.0@" + kDigest) == "docker.io/library/kv:1.0@" + kDigest);
  CHECK(pinned->pinned(kDigest) == "ghcr.io/x/kv@" + kDigest);
}

TEST_CASE("the first component names a registry by a dot, a port, localhost or an upper-case letter") {
  auto local = ImageReference::parse("localhost:5000/team/kv:1.0");
  REQUIRE(local);
  CHECK(local->registry() == "localhost:5000");
  CHECK(local->path() == "team/kv");
  CHECK(local->tag() == "1.0");
  CHECK(normalised("localhost/kv") == "localhost/kv:latest");  // no library/ off docker.io
  CHECK(normalised("example.com/kv") == "example.com/kv:latest");
  CHECK(normalised("Registry/kv") == "Registry/kv:latest");
  CHECK(normalised("[::1]:5000/kv") == "[::1]:5000/kv:latest");
  CHECK(normalised("team/kv") == "docker.io/team/kv:latest");  // "team" is a path component
}

TEST_CASE("a colon after the last slash is a tag, before it, a port") {
  CHECK(normalised("localhost:5000") == "docker.io/library/localhost:5000");  // as docker reads it
  CHECK(normalised("example.com:5000/kv") == "example.com:5000/kv:latest");
  CHECK(normalised("example.com:5000/kv:5000") == "example.com:5000/kv:5000");
  CHECK_THAT(refusal("example.com:/kv"), Catch::Contains("registry host"));
  CHECK_THAT(refusal("example.com:123456/kv"), Catch::Contains("registry host"));
  CHECK_THAT(refusal("example.com:50a/kv"), Catch::Contains("registry host"));
}

TEST_CASE("repository names are lowercase, upper case is refused, naming the component") {
  CHECK_THAT(refusal("Alpine"), Catch::Contains("\"Alpine\" is not a repository name"));
  CHECK_THAT(refusal("docker.io/Team/kv"), Catch::Contains("\"Team\""));
  CHECK_THAT(refusal("localhost:5000/team/KV:1"), Catch::Contains("\"KV\""));
}

TEST_CASE("path components are separated by '.', '_', '__' or dashes, never start or end with one") {
  CHECK(normalised("a.b_c__d-e---f") == "docker.io/library/a.b_c__d-e---f:latest");
  for (const char* bad : {"a___b", "a..b", "-kv", "kv-", "_kv", "a//b", "team/", "/kv", "a b", "kv!"})
    CHECK_THAT(refusal(bad), Catch::Contains("not a repository name"));
}

TEST_CASE("a tag is 1 to 128 word characters, '.' or '-', not starting with '.' or '-'") {
  CHECK(normalised("kv:" + std::string(128, 'v')) == "docker.io/library/kv:" + std::string(128, 'v'));
  CHECK(normalised("kv:_x.Y-1") == "docker.io/library/kv:_x.Y-1");
  for (std::string bad : {std::string("kv:"), std::string("kv:-1"), std::string("kv:.1"),
                          "kv:" + std::string(129, 'v'), std::string("kv:a b")})
    CHECK_THAT(refusal(bad), Catch::Contains("tag") || Catch::Contains("repository name"));
}

TEST_CASE("a digest is sha256: and 64 lowercase hex digits") {
  for (std::string bad : {std::string("kv@sha256:abc"), "kv@sha256:" + std::string(64, 'A'), "kv@md5:" + std::string(32, 'a'),
                          "kv@" + std::string(64, 'a'), std::string("kv@"), "kv@sha256:" + std::string(65, 'a')})
    CHECK_THAT(refusal(bad), Catch::Contains("digest"));
}

TEST_CASE("a name longer than 255 characters, or one of 64 hex digits, is refused") {
  const std::string long_path = std::string(120, 'a') + "/" + std::string(120, 'b');  // 241
  CHECK(ImageReference::parse("example.com/" + long_path));                          // 253
  CHECK_THAT(refusal("example.com/" + long_path + "/ccc"), Catch::Contains("longer than 255"));
  // The tag does not count, as in docker.
  CHECK(ImageReference::parse("example.com/" + long_path + ":" + std::string(128, 't')));
  // docker: "cannot specify 64-byte hexadecimal strings": such a name is an image ID, a digest.
  CHECK_THAT(refusal(std::string(64, 'a')), Catch::Contains("64 hex"));
  CHECK(normalised(std::string(63, 'a')) == "docker.io/library/" + std::string(63, 'a') + ":latest");
  CHECK_THAT(refusal(""), Catch::Contains("empty"));
}

TEST_CASE("this machine's registries are local: localhost, 127.0.0.0/8 and [::1], nothing that only looks so") {
  auto local = [](const std::string& text) {
    auto parsed = ImageReference::parse(text);
    REQUIRE(parsed);
    return parsed->registry_is_local();
  };
  CHECK(local("localhost/kv"));
  CHECK(local("localhost:5000/kv"));
  CHECK(local("127.0.0.1:5000/kv"));
  CHECK(local("127.1.2.3/kv"));
  CHECK(local("[::1]:5000/kv"));
  CHECK_FALSE(local("127.attacker.example/kv"));  // a name, resolved by DNS: anywhere
  CHECK_FALSE(local("127.0.0.1.attacker.example/kv"));
  CHECK_FALSE(local("localhost.attacker.example/kv"));
  CHECK_FALSE(local("128.0.0.1/kv"));
  CHECK_FALSE(local("[::10]:5000/kv"));
  CHECK_FALSE(local("alpine"));
}

TEST_CASE("run takes a target that names no file for a reference only when a tag, digest or registry says so") {
  CHECK(looks_like_image_reference("kv:1.0"));
  CHECK(looks_like_image_reference("kv@" + kDigest));
  CHECK(looks_like_image_reference("localhost:5000/kv"));
  CHECK(looks_like_image_reference("ghcr.io/team/kv"));
  CHECK_FALSE(looks_like_image_reference("kv"));
  CHECK_FALSE(looks_like_image_reference("team/kv"));
  CHECK_FALSE(looks_like_image_reference("./kv:1.0"));
  CHECK_FALSE(looks_like_image_reference("/bin/kv:1.0"));
  CHECK_FALSE(looks_like_image_reference("KV:1.0"));
}
