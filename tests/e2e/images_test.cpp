// tproc images and tproc rmi, against images pulled from a real registry (Debian's docker-registry
// on localhost, started by each test) and bundles run from files: every reference is listed with
// its image's digest, size and last use; rmi removes what it names and nothing else, and refuses
// an image a running tproc uses.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "json.hpp"
#include "local_registry.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The line of `text` that starts with `prefix` (empty when none does).
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (size_t start = 0, end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, prefix.size(), prefix) == 0) return text.substr(start, end - start);
  }
  return "";
}

/// `tproc images --format json`, checked by Debian's JSON parser.
Json images_json(Sandbox& sandbox) {
  Outcome listed = tproc_in(sandbox, {"images", "--format", "json"});
  REQUIRE_THAT(listed, ExitsWith(0));
  return Json::parse(listed.out);
}

/// The references of the image `digest` in `tproc images --format json`; throws if it is not listed.
std::vector<std::string> references_of(Sandbox& sandbox, const std::string& digest) {
  const Json document = images_json(sandbox);  // the loop must not outlive it
  for (const Json& image : document.items()) {
    if (image.at("digest").str() != digest) continue;
    std::vector<std::string> references;
    for (const Json& reference : image.at("references").items()) references.push_back(reference.str());
    return references;
  }
  throw std::runtime_error("tproc images does not list " + digest);
}

bool listed(Sandbox& sandbox, const std::string& digest) {
  const Json document = images_json(sandbox);
  for (const Json& image : document.items())
    if (image.at("digest").str() == digest) return true;
  return false;
}

/// Pushes `bundle` to each of `references` and pulls each; the bundle's digest.
std::string push_and_pull(Sandbox& sandbox, const std::string& bundle, const std::vector<std::string>& references) {
  for (const std::string& reference : references) {
    REQUIRE_THAT(tproc_in(sandbox, {"push", bundle, reference}), ExitsWith(0));
    REQUIRE_THAT(tproc_in(sandbox, {"pull", reference}), ExitsWith(0));
  }
  return bundle_digest(sandbox, bundle);
}

}  // namespace

// --- images ----------------------------------------------------------------------------------

TEST_CASE("images lists every reference of a pulled image with its digest, a human size and its last use") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string bundle = bundle_of(sandbox, "hello", sample("hello", "hello"));
  const std::string one = registry.host() + "/team/hello:1.0";
  const std::string stable = registry.host() + "/team/hello:stable";
  const std::string digest = push_and_pull(sandbox, bundle, {one, stable});
  const std::string from_file = bundle_of(sandbox, "nap", program("sleeper"), "args: [\"0\"]\n");
  REQUIRE_THAT(sandbox.tproc({"run", "s", from_file}), ExitsWith(0));
  const std::string file_digest = bundle_digest(sandbox, from_file);

  const Json document = images_json(sandbox);
  REQUIRE(document.items().size() == 2);
  std::set<std::string> digests;
  for (const Json& image : document.items()) {
    digests.insert(image.at("digest").str());
    CHECK(image.at("size").number() > 0);
    CHECK(image.at("unpacked").source() == "true");
    CHECK(std::regex_match(image.at("last_used").str(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  }
  CHECK(digests == std::set<std::string>{digest, file_digest});
  CHECK(references_of(sandbox, digest) == std::vector<std::string>{one, stable});
  CHECK(references_of(sandbox, file_digest).empty());

  Outcome table = tproc_in(sandbox, {"images"});
  REQUIRE_THAT(table, ExitsWith(0));
  const std::regex human_size(R"(\b[0-9.]+(B|kB|MB)\b)");
  for (const std::string& reference : {one, stable}) {
    const std::string row = line_starting(table.out, reference + " ");
    CHECK(contains(row, digest.substr(0, 19)));
    CHECK(std::regex_search(row, human_size));
    CHECK(contains(row, "ago"));
  }
  CHECK(contains(line_starting(table.out, "<none> "), file_digest.substr(0, 19)));

  Outcome quiet = tproc_in(sandbox, {"images", "-q"});
  REQUIRE_THAT(quiet, ExitsWith(0));
  std::set<std::string> quiet_digests;
  for (size_t start = 0, end; (end = quiet.out.find('\n', start)) != std::string::npos; start = end + 1)
    quiet_digests.insert(quiet.out.substr(start, end - start));
  CHECK(quiet_digests == digests);
  CHECK(std::count(quiet.out.begin(), quiet.out.end(), '\n') == 2);  // one line per image, not per reference
}

TEST_CASE("images with an operand, or -q with --format json, is a one-line error") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"images", "extra"}), IsOneLineError().naming("extra").because_of({"too many"}));
  CHECK_THAT(sandbox.tproc({"images", "-q", "--format", "json"}), IsOneLineError().naming("-q").because_of({"exclude"}));
}

// --- rmi -------------------------------------------------------------------------------------

TEST_CASE("rmi untags a reference, removes the image with its last one, and a digest takes every reference") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string one = registry.host() + "/team/hello:1.0";
  const std::string stable = registry.host() + "/team/hello:stable";
  const std::string digest = push_and_pull(sandbox, bundle_of(sandbox, "hello", sample("hello", "hello")), {one, stable});
  const std::string other =
      push_and_pull(sandbox, bundle_of(sandbox, "nap", program("sleeper"), "args: [\"0\"]\n"), {registry.host() + "/team/nap:1"});

  Outcome untagged = tproc_in(sandbox, {"rmi", stable});
  REQUIRE_THAT(untagged, ExitsWith(0));
  CHECK(untagged.out == "untagged " + stable + "\n");
  CHECK(references_of(sandbox, digest) == std::vector<std::string>{one});
  CHECK(fs::exists(cache_root(sandbox) / digest.substr(7)));

  Outcome removed = tproc_in(sandbox, {"rmi", one});
  REQUIRE_THAT(removed, ExitsWith(0));
  CHECK(removed.out == "deleted " + digest + "\nuntagged " + one + "\n");
  CHECK_FALSE(listed(sandbox, digest));
  CHECK_FALSE(fs::exists(cache_root(sandbox) / digest.substr(7)));
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "images" / (digest.substr(7) + ".bundle")));
  CHECK(listed(sandbox, other));  // the other image is untouched

  // By the 12 hex digits `images` shows: the image and its reference go together.
  Outcome by_digest = tproc_in(sandbox, {"rmi", other.substr(7, 12)});
  REQUIRE_THAT(by_digest, ExitsWith(0));
  CHECK(by_digest.out == "deleted " + other + "\n");
  CHECK(images_json(sandbox).items().empty());
  // ... and the reference really is gone: running it pulls again (and works).
  CHECK_THAT(tproc_in(sandbox, {"run", "s", registry.host() + "/team/nap:1"}), ExitsWith(0));
}

TEST_CASE("rmi refuses an image a running tproc uses and names the tproc, -f removes it from the store") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string reference = registry.host() + "/team/nap:1";
  const std::string digest =
      push_and_pull(sandbox, bundle_of(sandbox, "nap", program("sleeper"), "args: [\"300\"]\n"), {reference});
  const std::string id = sandbox.detach({"--name", "napper", "s", reference});

  Outcome refused = tproc_in(sandbox, {"rmi", reference});
  CHECK_THAT(refused, IsOneLineError().naming("rmi " + reference).because_of({"in use"}));
  CHECK(contains(refused.err, "tproc " + id + " (napper) in space s"));
  CHECK(references_of(sandbox, digest) == std::vector<std::string>{reference});  // nothing changed
  CHECK_THAT(tproc_in(sandbox, {"rmi", digest}), IsOneLineError().naming(digest).because_of({"in use"}));

  Outcome forced = tproc_in(sandbox, {"rmi", "-f", reference});
  REQUIRE_THAT(forced, ExitsWith(0));
  CHECK(contains(forced.out, "untagged " + reference));
  CHECK(references_of(sandbox, digest).empty());  // the unpacked tree stays, nameless
  CHECK_FALSE(fs::exists(sandbox.home_dir() / "images" / (digest.substr(7) + ".bundle")));
  CHECK(sandbox.tproc_info("s", id).state == "running");

  REQUIRE_THAT(sandbox.tproc({"stop", "-t", "1", "s", id}), ExitsWith(0));
  CHECK(eventually([&] {
    sandbox.tproc({"prune"});
    return !listed(sandbox, digest);
  }));
}

TEST_CASE("rmi of what names no image is a one-line error naming it, and the other targets still go") {
  Sandbox sandbox;
  LocalRegistry registry(sandbox);
  const std::string reference = registry.host() + "/team/hello:1.0";
  const std::string digest = push_and_pull(sandbox, bundle_of(sandbox, "hello", sample("hello", "hello")), {reference});

  CHECK_THAT(tproc_in(sandbox, {"rmi", "nothere:1"}),
             IsOneLineError().naming("docker.io/library/nothere:1").because_of({"no image"}));
  const std::string unknown = "sha256:" + std::string(64, 'f');
  CHECK_THAT(tproc_in(sandbox, {"rmi", unknown}), IsOneLineError().naming(unknown).because_of({"no image"}));
  CHECK_THAT(tproc_in(sandbox, {"rmi", "Team/Hello"}), IsOneLineError().naming("Team/Hello").because_of({"registry", "repository"}));
  CHECK_THAT(tproc_in(sandbox, {"rmi"}), IsOneLineError().naming("rmi").because_of({"needs"}));

  Outcome several = tproc_in(sandbox, {"rmi", "nothere:1", reference});
  CHECK(several.status == 1);
  CHECK(contains(several.err, "nothere:1"));
  CHECK(contains(several.out, "deleted " + digest));
  CHECK_FALSE(listed(sandbox, digest));
}
