// Bundles through a real OCI registry (Debian's docker-registry on localhost, started by each
// test): `tproc push` leaves an image standard tools read, `tproc pull` and `tproc run SPACE REF`
// bring it back verified, a digest pins it, and what the registry corrupts or refuses is named.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "local_registry.hpp"
#include "sandbox.hpp"
#include "terminal.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

TEST_CASE("push sends a bundle that skopeo inspects under the bundle's own digest") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);

  Outcome pushed = tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"});
  REQUIRE(pushed.status == 0);
  CHECK(pushed.out == registry.host() + "/team/hello:1.0@" + digest + "\n");

  Outcome inspected = skopeo(sandbox, {"inspect", "--tls-verify=false", "docker://" + registry.host() + "/team/hello:1.0"});
  REQUIRE(inspected.status == 0);
  CHECK(Json::parse(inspected.out).at("Digest").str() == digest);
}

TEST_CASE("push without a REF goes to the bundle's NAME:VERSION under a REF ending in '/'") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  Outcome pushed = tproc_in(sandbox, {"push", bundle, registry.host() + "/team/"});
  REQUIRE(pushed.status == 0);
  CHECK(pushed.out.rfind(registry.host() + "/team/hello:1.0.0@sha256:", 0) == 0);
}

TEST_CASE("push shows skopeo's progress on a terminal, and with -q only REF@DIGEST") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  const std::vector<std::string> env = hermetic(sandbox).extra_env;

  Outcome shown = on_terminal(sandbox, {tproc_binary(), "push", bundle, registry.host() + "/team/hello:1.0"}, env);
  REQUIRE_THAT(shown, ExitsWith(0));
  INFO(shown.out);
  CHECK(shown.out.find("Writing manifest to image destination") != std::string::npos);  // skopeo's
  CHECK(shown.out.find(registry.host() + "/team/hello:1.0@" + digest + "\r\n") != std::string::npos);

  Outcome quiet = on_terminal(sandbox, {tproc_binary(), "push", "-q", bundle, registry.host() + "/team/hello:1.1"}, env);
  REQUIRE_THAT(quiet, ExitsWith(0));
  CHECK(quiet.out == registry.host() + "/team/hello:1.1@" + digest + "\r\n");
}

TEST_CASE("an image skopeo copies back from the registry to an archive runs as a bundle") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);
  const std::string copy = (sandbox.root() / "copied.tar").native();
  REQUIRE(skopeo(sandbox, {"copy", "--src-tls-verify=false", "docker://" + registry.host() + "/team/hello:1.0", "oci-archive:" + copy})
              .status == 0);
  Outcome ran = tproc_in(sandbox, {"run", "demo", copy});
  CHECK(ran.status == 0);
  CHECK(ran.out.find("hello from tproc") != std::string::npos);
}

TEST_CASE("pull brings a pushed bundle into the cache and run runs it by reference") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  const std::string reference = registry.host() + "/team/hello:1.0";
  REQUIRE(tproc_in(sandbox, {"push", bundle, reference}).status == 0);
  fs::remove(bundle);

  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  REQUIRE(pulled.status == 0);
  CHECK(pulled.out == reference + "@" + digest + "\n");
  std::vector<ImageInfo> cached = images(sandbox);
  REQUIRE(cached.size() == 1);
  CHECK(cached[0].digest == digest);

  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK(ran.status == 0);
  CHECK(ran.out.find("hello from tproc") != std::string::npos);
}

TEST_CASE("run pulls a reference on first use, and a digest pins what it runs") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);

  Outcome ran = tproc_in(sandbox, {"run", "demo", registry.host() + "/team/hello@" + digest});
  CHECK(ran.status == 0);
  CHECK(ran.out.find("hello from tproc") != std::string::npos);

  const std::string other = "sha256:" + std::string(64, 'a');
  Outcome wrong = tproc_in(sandbox, {"pull", registry.host() + "/team/hello@" + other});
  CHECK(wrong.status != 0);
  CHECK_THAT(wrong, IsOneLineError().naming(registry.host() + "/team/hello@" + other).because_of({"manifest unknown"}));
}

TEST_CASE("a blob corrupted on the registry is refused, and nothing reaches the cache") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  REQUIRE(tproc_in(sandbox, {"push", bundle, reference}).status == 0);
  Outcome inspected = skopeo(sandbox, {"inspect", "--tls-verify=false", "docker://" + reference});
  REQUIRE(inspected.status == 0);
  const std::string layer = Json::parse(inspected.out).at("Layers").items().at(0).str();

  const fs::path blob = registry.blob_file(layer);
  REQUIRE(fs::exists(blob));
  {
    std::fstream file(blob, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(blob) / 2));
    file.write("CORRUPTED", 9);  // same size, other bytes
  }
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK(pulled.status != 0);
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).because_of({"does not match its digest"}));
  CHECK_THAT(pulled, IsOneLineError().naming("blob " + layer));
  CHECK(images(sandbox).empty());
  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK(ran.status != 0);
  CHECK(images(sandbox).empty());
}

TEST_CASE("a registry on localhost is spoken to without TLS verification unless --tls-verify=true asks for it") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);  // plain HTTP, as docker-registry serves without a certificate
  const std::string bundle = hello_bundle(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  Outcome verified = tproc_in(sandbox, {"push", "--tls-verify=true", bundle, reference});
  CHECK(verified.status != 0);
  CHECK_THAT(verified, IsOneLineError().naming(registry.host()).because_of({"plain HTTP", "HTTPS"}));
  CHECK_THAT(tproc_in(sandbox, {"push", "--tls-verify=maybe", bundle, reference}),
             IsOneLineError().naming("--tls-verify").because_of({"true or false"}));
  CHECK(tproc_in(sandbox, {"push", bundle, reference}).status == 0);  // the localhost rule
  CHECK(tproc_in(sandbox, {"pull", "--tls-verify=false", reference}).status == 0);
  Outcome pulled = tproc_in(sandbox, {"pull", "--tls-verify=true", reference});
  CHECK_THAT(pulled, IsOneLineError().naming(registry.host()).because_of({"plain HTTP", "HTTPS"}));
}

TEST_CASE("a registry that wants credentials refuses a push and a pull without them, and says so") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox, RegistryUser{"alice", "s3cret"});
  const std::string bundle = hello_bundle(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  Outcome pushed = tproc_in(sandbox, {"push", bundle, reference});
  CHECK(pushed.status != 0);
  CHECK_THAT(pushed, IsOneLineError().naming(reference).because_of({"authentication failed"}));
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK(pulled.status != 0);
  CHECK_THAT(pulled, IsOneLineError().naming(reference).because_of({"authentication failed"}));
}

TEST_CASE("a bare word that names no program stays 'not found', never a pull") {
  Sandbox sandbox;
  Outcome ran = tproc_in(sandbox, {"run", "demo", "no-such-program-anywhere"});
  CHECK(ran.status == 127);
  CHECK_THAT(ran, IsOneLineError().naming("no-such-program-anywhere").because_of({"not found"}));
}

TEST_CASE("login stores credentials where podman keeps them, push and pull use them, logout forgets them") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox, RegistryUser{"alice", "s3cret"});
  const std::string bundle = hello_bundle(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  SpawnOptions with_password = hermetic(sandbox);

  with_password.input = "wrong\n";
  Outcome refused = sandbox.tproc({"login", "-u", "alice", "--password-stdin", registry.host()}, with_password);
  CHECK(refused.status != 0);
  CHECK_THAT(refused, IsOneLineError().naming("login " + registry.host()).because_of({"authentication failed"}));

  with_password.input = "s3cret\n";
  Outcome logged_in = sandbox.tproc({"login", "-u", "alice", "--password-stdin", registry.host()}, with_password);
  REQUIRE(logged_in.status == 0);
  CHECK(fs::exists(sandbox.root() / "xdg/containers/auth.json"));
  CHECK(tproc_in(sandbox, {"push", bundle, reference}).status == 0);
  CHECK(tproc_in(sandbox, {"pull", reference}).status == 0);

  REQUIRE(tproc_in(sandbox, {"logout", registry.host()}).status == 0);
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK(pulled.status != 0);
  CHECK_THAT(pulled, IsOneLineError().naming(reference).because_of({"authentication failed"}));
}

TEST_CASE("credentials docker login left in ~/.docker/config.json are used too") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox, RegistryUser{"bob", "pa55"});
  const std::string bundle = hello_bundle(sandbox);
  SpawnOptions options = hermetic(sandbox);
  fs::create_directories(sandbox.root() / ".docker");
  // base64("bob:pa55")
  sandbox.write_file(".docker/config.json", "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"Ym9iOnBhNTU=\"}}}", 0600);
  CHECK(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);
}
