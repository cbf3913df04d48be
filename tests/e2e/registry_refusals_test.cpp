// What a registry may send that a pull must refuse (issue 17): images crafted blob by blob, put
// on Debian's docker-registry (started by each test) with skopeo or a bare HTTP PUT, then pulled
// with the real `tproc pull` and `tproc run SPACE REF`. A hostile layer gets the same refusal as
// the same image as a local bundle file; a size bomb, or a manifest whose sizes lie, is stopped
// before the disk fills; nothing is written outside the cache, and nothing stays in it.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "crafted_image.hpp"
#include "expectations.hpp"
#include "local_registry.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using tproc::bundle::test::TarEntry;
namespace fs = std::filesystem;

namespace {

/// Bytes under `dir` (0 when it does not exist).
uint64_t bytes_under(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code error;
  if (!fs::exists(dir, error)) return 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, error)) {
    struct stat status;
    if (::lstat(entry.path().c_str(), &status) == 0) total += static_cast<uint64_t>(status.st_blocks) * 512;
  }
  return total;
}

/// The files under `dir` named `name`.
std::vector<std::string> files_named(const fs::path& dir, const std::string& name) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, error))
    if (entry.path().filename() == name) found.push_back(entry.path().native());
  return found;
}

/// What follows "tproc: COMMAND: " in a one-line error: the reason without the command's own context.
std::string reason_after(const Outcome& outcome, const std::string& prefix) {
  std::string line = outcome.err.substr(0, outcome.err.find('\n'));
  size_t at = line.find(prefix);
  return at == std::string::npos ? line : line.substr(at + prefix.size());
}

/// Pushes the layout `dir` (tag t) to REF with skopeo, as a hostile publisher would.
void publish(Sandbox& sandbox, const fs::path& dir, const std::string& reference) {
  Outcome pushed = skopeo(sandbox, {"copy", "--quiet", "--dest-tls-verify=false", "oci:" + dir.native() + ":t", "docker://" + reference});
  INFO(pushed);
  REQUIRE(pushed.status == 0);
}

}  // namespace

TEST_CASE("a hostile layer from a registry is refused as the same image in a bundle file is, and nothing lands outside the cache") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string config = CraftedImage::tproc_config_of(hello_bundle(sandbox));
  const fs::path outside = sandbox.root() / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "secret") << "keep out\n";
  // From the cache's rootfs ($TPROC_HOME/bundles/HEX/rootfs), four levels up is the sandbox root.
  const std::string up = "../../../../";

  struct Hostile {
    const char* what;
    TarEntry entry;
    std::string named;  // the entry the refusal names
  };
  const std::vector<Hostile> cases = {
      {"a ../ path", {up + "escaped", TarEntry::Type::file, "planted\n"}, up + "escaped"},
      {"an absolute symlink out of the root", {"etc", TarEntry::Type::symlink, "", 0777, outside.native()}, "etc"},
      {"a device node", {"dev/null", TarEntry::Type::char_device}, "dev/null"},
      {"a hard link out of the tree", {"stolen", TarEntry::Type::hardlink, "", 0644, up + "outside/secret"}, "stolen"},
  };
  for (const Hostile& hostile : cases) {
    DYNAMIC_SECTION(hostile.what) {
      std::vector<TarEntry> entries{{"bin/ok", TarEntry::Type::file, "fine\n"}, hostile.entry};
      if (hostile.entry.name == "etc") entries.push_back({"etc/planted", TarEntry::Type::file, "through the link\n"});
      CraftedImage image{CraftedImage::layer_of(entries), config};
      const fs::path layout = sandbox.root() / "layout";
      image.write_layout(layout, "t");
      const std::string reference = registry.host() + "/evil/layer:1";
      publish(sandbox, layout, reference);
      const std::string local = (sandbox.root() / "local.bundle").native();
      REQUIRE(skopeo(sandbox, {"copy", "--quiet", "oci:" + layout.native() + ":t", "oci-archive:" + local}).status == 0);

      Outcome from_file = tproc_in(sandbox, {"run", "demo", local});
      CHECK_THAT(from_file, IsOneLineError().naming("layer entry \"" + hostile.named + "\""));
      Outcome pulled = tproc_in(sandbox, {"pull", reference});
      CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).naming("layer entry \"" + hostile.named + "\""));
      Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
      CHECK_THAT(ran, IsOneLineError().naming(reference).naming("layer entry \"" + hostile.named + "\""));
      // The same reason, word for word, whichever door the image came in by.
      const std::string reason = reason_after(from_file, "layer entry");
      CHECK(reason_after(pulled, "layer entry") == reason);
      CHECK(reason_after(ran, "layer entry") == reason);

      // tproc push will not publish it either: refused with the same reason before anything is sent.
      Outcome republished = tproc_in(sandbox, {"push", local, registry.host() + "/evil/again:1"});
      CHECK_THAT(republished, IsOneLineError().naming("layer entry \"" + hostile.named + "\""));
      CHECK(reason_after(republished, "layer entry") == reason);
      CHECK(skopeo(sandbox, {"inspect", "--tls-verify=false", "docker://" + registry.host() + "/evil/again:1"}).status != 0);

      check_nothing_kept(sandbox);
      CHECK(files_named(sandbox.root(), "escaped").empty());
      CHECK(files_named(sandbox.root(), "planted").empty());
      CHECK(tree(outside) == std::vector<std::string>{"secret"});
      CHECK(fs::hard_link_count(outside / "secret") == 1);
    }
  }
}

TEST_CASE("a small layer that expands past the unpack limit is refused before a byte of it is written") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string config = CraftedImage::tproc_config_of(hello_bundle(sandbox));
  // One file of 4 GiB + 64 MiB of zeros: past the 4 GiB a bundle may hold, in ~4 MiB of gzip.
  CraftedImage bomb{CraftedImage::zeros_layer("zeros", (uint64_t{4} << 30) + (uint64_t{64} << 20)), config};
  REQUIRE(bomb.layer.size() < (uint64_t{8} << 20));
  const fs::path layout = sandbox.root() / "layout";
  bomb.write_layout(layout, "t");
  const std::string reference = registry.host() + "/evil/bomb:1";
  publish(sandbox, layout, reference);
  const std::string local = (sandbox.root() / "bomb.bundle").native();
  REQUIRE(skopeo(sandbox, {"copy", "--quiet", "oci:" + layout.native() + ":t", "oci-archive:" + local}).status == 0);

  Outcome from_file = tproc_in(sandbox, {"run", "demo", local});
  CHECK_THAT(from_file, IsOneLineError().naming("layer entry \"zeros\"").because_of({"expands past 4 GiB"}));
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).naming("layer entry \"zeros\"").because_of({"expands past 4 GiB"}));
  CHECK(reason_after(pulled, "layer entry") == reason_after(from_file, "layer entry"));
  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK_THAT(ran, IsOneLineError().naming(reference).because_of({"expands past 4 GiB"}));

  check_nothing_kept(sandbox);
  // The pulls left nothing behind: the whole TPROC_HOME is smaller than the compressed bomb.
  CHECK(bytes_under(sandbox.home_dir()) < bomb.layer.size());
}

TEST_CASE("a manifest that declares a huge config or layer is refused before anything is fetched") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);
  Outcome raw = skopeo(sandbox, {"inspect", "--raw", "--tls-verify=false", "docker://" + registry.host() + "/team/hello:1.0"});
  REQUIRE(raw.status == 0);
  const nlohmann::json honest = nlohmann::json::parse(raw.out);

  SECTION("a config of a terabyte") {
    nlohmann::json lying = honest;
    lying["config"]["size"] = uint64_t{1} << 40;
    REQUIRE(registry.put_manifest("team/hello", "huge-config", lying.dump()) == 201);
    Outcome pulled = tproc_in(sandbox, {"pull", registry.host() + "/team/hello:huge-config"});
    CHECK_THAT(pulled, IsOneLineError()
                           .naming("pull " + registry.host() + "/team/hello:huge-config")
                           .naming("config declares " + std::to_string(uint64_t{1} << 40) + " bytes"));
  }
  SECTION("a layer of 5 GiB") {
    nlohmann::json lying = honest;
    lying["layers"][0]["size"] = uint64_t{5} << 30;
    REQUIRE(registry.put_manifest("team/hello", "huge-layer", lying.dump()) == 201);
    Outcome pulled = tproc_in(sandbox, {"pull", registry.host() + "/team/hello:huge-layer"});
    CHECK_THAT(pulled, IsOneLineError()
                           .naming("pull " + registry.host() + "/team/hello:huge-layer")
                           .naming("layer declares " + std::to_string(uint64_t{5} << 30) + " bytes"));
  }
  check_nothing_kept(sandbox);
  CHECK(bytes_under(sandbox.home_dir() / "images") < (uint64_t{64} << 10));
}

TEST_CASE("a registry that sends more than the manifest declares is cut off at the declared size") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);
  Outcome raw = skopeo(sandbox, {"inspect", "--raw", "--tls-verify=false", "docker://" + registry.host() + "/team/hello:1.0"});
  REQUIRE(raw.status == 0);
  nlohmann::json lying = nlohmann::json::parse(raw.out);
  const uint64_t real_size = lying["layers"][0]["size"];
  REQUIRE(real_size > (uint64_t{1} << 20));
  lying["layers"][0]["size"] = 1000;  // the blob is ~1.6 MB: skopeo itself would fetch it all
  REQUIRE(registry.put_manifest("team/hello", "small", lying.dump()) == 201);

  const std::string reference = registry.host() + "/team/hello:small";
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).because_of({"sent more than"}));
  check_nothing_kept(sandbox);
  CHECK(bytes_under(sandbox.home_dir() / "images") < real_size / 4);
}

TEST_CASE("a layer whose bytes on the registry are not the ones its digest names is refused, naming the digest") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  REQUIRE(tproc_in(sandbox, {"push", bundle, reference}).status == 0);
  Outcome raw = skopeo(sandbox, {"inspect", "--raw", "--tls-verify=false", "docker://" + reference});
  REQUIRE(raw.status == 0);
  const std::string layer = nlohmann::json::parse(raw.out)["layers"][0]["digest"];
  // Another valid layer, of another size, stored under the first one's digest.
  const std::string other = CraftedImage::layer_of({{"bin/other", TarEntry::Type::file, "not the pushed layer\n"}});
  std::ofstream(registry.blob_file(layer), std::ios::binary | std::ios::trunc) << other;

  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).naming(layer));
  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK_THAT(ran, IsOneLineError().naming(reference).naming(layer));
  check_nothing_kept(sandbox);
}

TEST_CASE("a manifest changed on the registry is refused when its digest is pinned, naming what it hashes to") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);
  const fs::path stored = registry.blob_file(digest);
  nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(read_file(stored));
  manifest["annotations"]["org.opencontainers.image.version"] = "6.6.6";
  const std::string changed = manifest.dump();
  std::ofstream(stored, std::ios::binary | std::ios::trunc) << changed;

  const std::string pinned = registry.host() + "/team/hello@" + digest;
  Outcome pulled = tproc_in(sandbox, {"pull", pinned});
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + pinned).naming("hashes to " + digest_of(changed)));
  check_nothing_kept(sandbox);
}
