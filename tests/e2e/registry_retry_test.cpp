// Dropped connections (issue 17): a proxy between tproc and the test registry (Debian's
// docker-registry) resets a connection mid-transfer. A transfer cut once is retried and completes,
// whole and verified; one cut every time fails in one line naming the reference and the reason, and
// leaves no partial image behind. "Resumable" here means retried from the start of the transfer:
// skopeo 1.9 resumes no blob mid-way, a push skips the blobs the registry already has.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "cutting_proxy.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "local_registry.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

// Past the manifest and the config, inside the ~1.6 MB layer of the hello bundle.
constexpr uint64_t kCutAfter = 256 << 10;

}  // namespace

TEST_CASE("a pull whose connection drops mid-layer once completes on the retry, verified") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);

  CuttingProxy proxy(registry.port(), kCutAfter, 1);
  const std::string reference = proxy.host() + "/team/hello:1.0";
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  INFO(pulled);
  REQUIRE(pulled.status == 0);
  CHECK(proxy.cuts_made() == 1);
  CHECK(pulled.out == reference + "@" + digest + "\n");
  std::vector<ImageInfo> cached = images(sandbox);
  REQUIRE(cached.size() == 1);
  CHECK(cached[0].digest == digest);
  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK(ran.status == 0);
  CHECK(ran.out.find("hello from tproc") != std::string::npos);
}

TEST_CASE("a push whose connection drops mid-upload once completes on the retry, under the bundle's digest") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  const std::string digest = bundle_digest(sandbox, bundle);
  CuttingProxy proxy(registry.port(), kCutAfter, 1);
  Outcome pushed = tproc_in(sandbox, {"push", bundle, proxy.host() + "/team/hello:1.0"});
  INFO(pushed);
  REQUIRE(pushed.status == 0);
  CHECK(proxy.cuts_made() == 1);
  CHECK(pushed.out == proxy.host() + "/team/hello:1.0@" + digest + "\n");
  Outcome inspected = skopeo(sandbox, {"inspect", "--tls-verify=false", "docker://" + registry.host() + "/team/hello:1.0"});
  REQUIRE(inspected.status == 0);
  CHECK(Json::parse(inspected.out).at("Digest").str() == digest);
}

TEST_CASE("a pull whose connection drops every time fails in one line naming the reference, and keeps nothing") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = hello_bundle(sandbox);
  REQUIRE(tproc_in(sandbox, {"push", bundle, registry.host() + "/team/hello:1.0"}).status == 0);

  CuttingProxy proxy(registry.port(), kCutAfter, -1);
  const std::string reference = proxy.host() + "/team/hello:1.0";
  Outcome pulled = tproc_in(sandbox, {"pull", reference});
  CHECK_THAT(pulled, IsOneLineError().naming("pull " + reference).because_of({"dropped", "reset"}));
  CHECK(proxy.cuts_made() >= 3);
  check_nothing_kept(sandbox);
  Outcome ran = tproc_in(sandbox, {"run", "demo", reference});
  CHECK_THAT(ran, IsOneLineError().naming(reference).because_of({"dropped", "reset"}));
  check_nothing_kept(sandbox);
}
