// The first `tproc run SPACE app.bundle` unpacks the bundle into the cache (issue 16, Output): on
// a terminal its progress is one line on stderr, redrawn in place — the bundle verified, then the
// files unpacked and the layer's bytes read — and erased before the program's own output; nothing
// on a pipe, nothing with -q, nothing once the bundle is cached. Driven through the real binary,
// on a pty and without one.

#include <catch2/catch.hpp>

#include <random>
#include <regex>
#include <string>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"
#include "terminal.hpp"

using namespace tproc::e2e;

namespace {

/// root()/app.bundle: print_args with data/, 200 files of 10 kB that do not compress (201 files,
/// a layer of about 2 MB); returns its path.
std::string data_heavy_bundle(Sandbox& sandbox) {
  std::mt19937 random(16);
  std::string bytes(10000, '\0');
  for (int file = 0; file < 200; ++file) {
    for (char& byte : bytes) byte = static_cast<char>(random());
    sandbox.write_file("app/data/f" + std::to_string(file) + ".bin", bytes, 0644);
  }
  const std::string manifest = write_manifest(
      sandbox, "app", "name: app\nversion: 1.0.0\nentrypoint: " + yaml_quote(program("print_args")) + "\nlibraries: host\nfiles: [data]\n");
  return build_bundle(sandbox, manifest, "app.bundle");
}

/// What print_args prints for `run ... BUNDLE hello`, on a terminal.
const std::string kProgramOutput = "argc=2\r\n[0]=";

}  // namespace

TEST_CASE("the first run of a bundle on a terminal shows the unpack on one line, erased before the program's output") {
  Sandbox sandbox;
  const std::string bundle = data_heavy_bundle(sandbox);
  const Outcome first = on_terminal(sandbox, {tproc_binary(), "run", "unpack", bundle, "hello"});
  REQUIRE_THAT(first, ExitsWith(0));
  INFO(first.out);
  const size_t program_output = first.out.find(kProgramOutput);
  REQUIRE(program_output != std::string::npos);
  CHECK(first.out.find("[1]=hello\r\n", program_output) != std::string::npos);
  // Everything before the space's start note is the progress line, redrawn with \r and
  // erase-line: never a newline, so it never scrolls.
  const size_t started = first.out.find("tproc: started space 'unpack'");
  REQUIRE(started != std::string::npos);
  REQUIRE(started < program_output);
  const std::string progress = first.out.substr(0, started);
  CHECK(progress.find('\n') == std::string::npos);
  CHECK(std::regex_search(progress, std::regex(R"(\r\x1b\[Ktproc run: verifying: [0-9.]+[kM]?B of 2\.[0-9]+MB \([0-9]+%\))")));
  // Its last state: every file of the layer unpacked, all of the layer read.
  std::smatch done;
  REQUIRE(std::regex_search(progress, done, std::regex(R"(\r\x1b\[Ktproc run: unpacking: 201 files, ([0-9.]+MB) of ([0-9.]+MB) \(100%\)\r\x1b\[K$)")));
  CHECK(done[1] == done[2]);
  CHECK(progress.find("verifying") < progress.find("unpacking"));

  // Cached: the second run unpacks nothing and draws nothing.
  const Outcome second = on_terminal(sandbox, {tproc_binary(), "run", "unpack", bundle, "hello"});
  REQUIRE_THAT(second, ExitsWith(0));
  CHECK(second.out.starts_with(kProgramOutput));
}

TEST_CASE("the first run of a bundle shows no unpack progress on a pipe, and none with -q on a terminal") {
  Sandbox sandbox;
  const std::string bundle = data_heavy_bundle(sandbox);
  const Outcome piped = sandbox.tproc({"run", "unpack", bundle, "hello"});
  REQUIRE_THAT(piped, ExitsWith(0));
  CHECK(piped.err.empty());
  CHECK(piped.out.starts_with("argc=2\n[0]="));
  REQUIRE(cache_entries(sandbox).size() == 1);

  // A fresh cache: the same bundle unpacked again, quietly, on a terminal; only the space's start
  // note (no progress) comes before the program's output.
  Sandbox quiet_sandbox;
  const std::string quiet_bundle = data_heavy_bundle(quiet_sandbox);
  const Outcome quiet = on_terminal(quiet_sandbox, {tproc_binary(), "run", "-q", "quiet", quiet_bundle, "hello"});
  REQUIRE_THAT(quiet, ExitsWith(0));
  INFO(quiet.out);
  CHECK(quiet.out.find("tproc run:") == std::string::npos);
  CHECK(quiet.out.find('\r') == quiet.out.find("\r\n"));  // no \r but at line ends
  CHECK(quiet.out.starts_with("tproc: started space 'quiet'\r\n" + kProgramOutput));
  CHECK(cache_entries(quiet_sandbox).size() == 1);
}
