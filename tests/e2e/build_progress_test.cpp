// tproc build's progress (issue 16, Output): on a terminal, one line on stderr redrawn in place —
// the files collected, then the bytes compressed — and erased before the result; nothing on a
// pipe, nothing with -q. Driven through the real binary, on a pty and without one.

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <regex>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"
#include "terminal.hpp"

using namespace tproc::e2e;

namespace {

/// root()/app: a manifest taking data/, 200 files of 10 kB that do not compress; returns the
/// manifest's path.
std::string data_heavy_app(Sandbox& sandbox) {
  std::mt19937 random(16);
  std::string bytes(10000, '\0');
  for (int file = 0; file < 200; ++file) {
    for (char& byte : bytes) byte = static_cast<char>(random());
    sandbox.write_file("app/data/f" + std::to_string(file) + ".bin", bytes, 0644);
  }
  return write_manifest(sandbox, "app", "name: app\nversion: 1.0.0\nentrypoint: " + yaml_quote(program("exit_with")) +
                                            "\nlibraries: host\nfiles: [data]\n");
}

const std::regex kResult(R"(app\.bundle (sha256:[0-9a-f]{64}) \(201 files\))");

}  // namespace

TEST_CASE("build on a terminal shows its progress on one line, files collected then bytes compressed, erased before the result") {
  Sandbox sandbox;
  const std::string manifest = data_heavy_app(sandbox);
  const std::string output = (sandbox.root() / "app.bundle").native();
  const Outcome shown = on_terminal(sandbox, {tproc_binary(), "build", "-f", manifest, "-o", output});
  REQUIRE_THAT(shown, ExitsWith(0));
  INFO(shown.out);
  // Everything before the result is the progress line, redrawn with \r and erase-line: never a
  // newline, so it never scrolls.
  const size_t result = shown.out.find(output + " sha256:");
  REQUIRE(result != std::string::npos);
  const std::string progress = shown.out.substr(0, result);
  CHECK(progress.find('\n') == std::string::npos);
  CHECK(progress.find("\r\033[Ktproc build: collecting files: ") != std::string::npos);
  CHECK(std::regex_search(progress, std::regex(R"(\r\x1b\[Ktproc build: compressing: [0-9.]+k?M?B of 2\.[0-9]+MB \([0-9]+%\))")));
  CHECK(progress.find("collecting files") < progress.find("compressing"));
  // Erased before the result is printed.
  CHECK(progress.ends_with("\r\033[K"));
  std::smatch digest_on_terminal;
  const std::string result_line = shown.out.substr(result);
  REQUIRE(std::regex_search(result_line, digest_on_terminal, kResult));

  // The same bundle, byte for byte, when built without a terminal: progress changes nothing.
  const Outcome piped = sandbox.tproc({"build", "-f", manifest, "-o", output});
  REQUIRE_THAT(piped, ExitsWith(0));
  std::smatch digest_piped;
  REQUIRE(std::regex_search(piped.out, digest_piped, kResult));
  CHECK(digest_piped[1] == digest_on_terminal[1]);
}

TEST_CASE("build shows no progress on a pipe, and none with -q, which prints only the digest") {
  Sandbox sandbox;
  const std::string manifest = data_heavy_app(sandbox);
  const std::string output = (sandbox.root() / "app.bundle").native();
  const Outcome piped = sandbox.tproc({"build", "-f", manifest, "-o", output});
  REQUIRE_THAT(piped, ExitsWith(0));
  CHECK(piped.err.empty());
  CHECK(std::regex_match(piped.out, std::regex(output + R"( sha256:[0-9a-f]{64} \(201 files\)\n)")));

  const Outcome quiet = sandbox.tproc({"build", "-q", "-f", manifest, "-o", output});
  REQUIRE_THAT(quiet, ExitsWith(0));
  CHECK(quiet.err.empty());
  CHECK(std::regex_match(quiet.out, std::regex(R"(sha256:[0-9a-f]{64}\n)")));
  CHECK(piped.out.find(quiet.out.substr(0, quiet.out.size() - 1)) != std::string::npos);  // the same digest

  const Outcome quiet_terminal = on_terminal(sandbox, {tproc_binary(), "build", "--quiet", "-f", manifest, "-o", output});
  REQUIRE_THAT(quiet_terminal, ExitsWith(0));
  CHECK(std::regex_match(quiet_terminal.out, std::regex(R"(sha256:[0-9a-f]{64}\r\n)")));
}
