// Untrusted text on the terminal (issue 14, security item 5): names that came from a file, a
// bundle or a program reach `ps`, `inspect` and errors escaped, so an ESC[2J cannot clear the
// screen and a newline cannot forge a row; and a compose error never prints a file's contents.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "bundle/oci_layout.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

constexpr const char* kHostile = "evil\x1b[2J\nforged row\xc2\x9b";
/// For tar member names: libarchive writes only ASCII names without a UTF-8 locale.
constexpr const char* kHostileAscii = "evil\x1b[2J\nforged row\x7f";

bool raw_controls(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0x1b || byte == 0x9b || byte == 0x7f || (byte < 0x20 && byte != '\n')) return true;
  }
  return false;
}

bool has_line_starting(const std::string& text, const std::string& start) {
  for (const std::string& line : lines(text))
    if (line.rfind(start, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("ps shows a program whose file name holds escape sequences and newlines escaped") {
  Sandbox sandbox;
  const fs::path hostile = sandbox.root() / kHostile;
  fs::copy_file(program("sleeper"), hostile);
  fs::permissions(hostile, fs::perms::owner_all);
  // Its default name is its file name (a --name is held to the name rule: no such characters).
  const std::string id = sandbox.detach({"s", hostile.native(), "30"});
  const Outcome listed = sandbox.tproc({"ps", "s"});
  REQUIRE(listed.status == 0);
  CHECK_FALSE(raw_controls(listed.out));
  CHECK_FALSE(has_line_starting(listed.out, "forged row"));
  CHECK(listed.out.find("evil\\x1b[2J\\x0aforged row\\xc2\\x9b") != std::string::npos);
  CHECK(lines(listed.out).size() == 2);  // the header and one row
  const Outcome all = sandbox.tproc({"ps"});
  CHECK_FALSE(raw_controls(all.out));
  CHECK(sandbox.tproc({"stop", "-t", "1", "s", id}).status == 0);
}

TEST_CASE("inspect shows a bundle's hostile file names escaped, one row per file") {
  Sandbox sandbox;
  tproc::bundle::BundleContents contents;
  contents.name = "hostile";
  contents.version = "1.0";
  contents.config_json = R"({"name":"hostile","version":"1.0","entrypoint":"bin/app"})";
  contents.files = {tproc::bundle::BundleFile::from_bytes("bin/app", "#!/bin/true\n", 0755),
                    tproc::bundle::BundleFile::from_bytes(std::string("share/") + kHostileAscii, "x", 0644)};
  const std::string bundle = (sandbox.root() / "hostile.bundle").native();
  auto written = tproc::bundle::write_bundle(contents, bundle);
  INFO((written ? "" : written.error().describe()));
  REQUIRE(written);
  const Outcome inspected = sandbox.tproc({"inspect", bundle});
  INFO(inspected);
  CHECK_FALSE(raw_controls(inspected.out + inspected.err));
  CHECK_FALSE(has_line_starting(inspected.out, "forged row"));
  CHECK(inspected.out.find("share/evil\\x1b[2J\\x0aforged row\\x7f") != std::string::npos);
  const Outcome json = sandbox.tproc({"inspect", "--format", "json", bundle});
  CHECK_FALSE(raw_controls(json.out + json.err));
}

TEST_CASE("a compose file naming a private file as a bundle fails without printing its contents") {
  Sandbox sandbox;
  const std::string secret = sandbox.write_file("secret", "root:$6$hash-that-must-not-show:19000:0:99999:7:::\n", 0600);
  const std::string app =
      sandbox.write_file("app.yaml", "name: leak\nservices:\n  a:\n    bundle: " + secret + "\n", 0644);
  const Outcome up = sandbox.tproc({"up", "-f", app});
  CHECK_THAT(up, IsOneLineError().naming(secret).because_of({"not a bundle"}));
  // Nor through a link with a manifest's name.
  fs::create_symlink(secret, sandbox.root() / "innocent.yaml");
  const std::string linked = sandbox.write_file("linked.yaml", "name: leak\nservices:\n  a:\n    bundle: innocent.yaml\n", 0644);
  const Outcome up_linked = sandbox.tproc({"up", "-f", linked});
  CHECK_THAT(up_linked, IsOneLineError().naming("innocent.yaml").because_of({"not a bundle"}));
  CHECK(up_linked.err.find("hash-that-must-not-show") == std::string::npos);
  CHECK(up.err.find("hash-that-must-not-show") == std::string::npos);
  CHECK(up.out.find("hash-that-must-not-show") == std::string::npos);
}
