// `tproc run`'s docker-habit options (issue 16): -w as --cwd, -e KEY passing the caller's value,
// --env-file read as docker reads it; through both doors (the front door's quick path into a
// running space, and the full CLI), and every bad file refused in one line without a hang.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

/// `tproc run ARGS...` through the front door and through the full CLI, with the space up first
/// so the front door's quick path takes it; both must print the same.
std::string run_both_doors(Sandbox& sandbox, const std::vector<std::string>& args, const SpawnOptions& options = {}) {
  sandbox.detach({"doors", program("sleeper"), "30"});
  std::vector<std::string> front = {"run"};
  front.insert(front.end(), args.begin(), args.end());
  const Outcome quick = sandbox.tproc(front, options);
  std::vector<std::string> full = {full_cli_binary(), "run"};
  full.insert(full.end(), args.begin(), args.end());
  const Outcome slow = sandbox.run_direct(full, options);
  CHECK(quick.status == 0);
  CHECK(slow.status == 0);
  CHECK(quick.out == slow.out);
  return quick.out;
}

}  // namespace

TEST_CASE("run -w DIR is run --cwd DIR, as docker's -w") {
  Sandbox sandbox;
  CHECK(run_both_doors(sandbox, {"-w", "/etc", "doors", "/bin/pwd"}) == "/etc\n");
  CHECK(run_both_doors(sandbox, {"-w/usr", "doors", "/bin/pwd"}) == "/usr\n");
}

TEST_CASE("run -e KEY passes the caller's value, and sets nothing when the caller has none") {
  Sandbox sandbox;
  SpawnOptions options;
  options.extra_env = {"TPROC_TEST_FROM_CALLER=caller value"};
  const std::string out = run_both_doors(
      sandbox, {"-e", "TPROC_TEST_FROM_CALLER", "-e", "TPROC_TEST_NOWHERE", "doors", "/usr/bin/env"}, options);
  CHECK(out.find("TPROC_TEST_FROM_CALLER=caller value\n") != std::string::npos);
  CHECK(out.find("TPROC_TEST_NOWHERE") == std::string::npos);
}

TEST_CASE("run --env-file sets each KEY=VALUE literally, skips comments and blank lines, and -e wins") {
  Sandbox sandbox;
  const std::string file = sandbox.write_file("app.env",
                                              "# the app's settings\n"
                                              "GREETING=hello \"world\" $HOME\n"
                                              "\n"
                                              "   # indented comment\n"
                                              "EQUALS=a=b=c\r\n"
                                              "OVERRIDDEN=from the file\n"
                                              "TPROC_TEST_FROM_CALLER\n",
                                              0644);
  SpawnOptions options;
  options.extra_env = {"TPROC_TEST_FROM_CALLER=passed"};
  const std::string out = run_both_doors(
      sandbox, {"--env-file", file, "-e", "OVERRIDDEN=from -e", "doors", "/usr/bin/env"}, options);
  CHECK(out.find("GREETING=hello \"world\" $HOME\n") != std::string::npos);
  CHECK(out.find("EQUALS=a=b=c\n") != std::string::npos);
  CHECK(out.find("OVERRIDDEN=from -e\n") != std::string::npos);
  CHECK(out.find("OVERRIDDEN=from the file") == std::string::npos);
  CHECK(out.find("TPROC_TEST_FROM_CALLER=passed\n") != std::string::npos);
}

TEST_CASE("a bad --env-file or -e is one line naming it, and a FIFO is refused without waiting") {
  Sandbox sandbox;
  const std::string missing = (sandbox.root() / "missing.env").string();
  CHECK_THAT(sandbox.tproc({"run", "--env-file", missing, "s", "/bin/true"}),
             IsOneLineError().naming("--env-file: " + missing).because_of({"No such file"}));
  const std::string bad = sandbox.write_file("bad.env", "GOOD=1\n=no key\n", 0644);
  CHECK_THAT(sandbox.tproc({"run", "--env-file", bad, "s", "/bin/true"}),
             IsOneLineError().naming(bad + ":2:").because_of({"expected KEY=VALUE"}));
  const std::string fifo = (sandbox.root() / "fifo.env").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const Outcome refused = sandbox.tproc({"run", "--env-file", fifo, "s", "/bin/true"});
  CHECK_FALSE(refused.timed_out);
  CHECK_THAT(refused, IsOneLineError().naming(fifo).because_of({"not a regular file"}));
  CHECK_THAT(sandbox.tproc({"run", "-e", "=x", "s", "/bin/true"}), IsOneLineError().naming("-e: '=x'"));
}
