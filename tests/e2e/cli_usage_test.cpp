// How the CLI answers a user's slips and questions, through the real `tproc` (issue 16's error
// texts, issue 12's version): a typo'd command or option gets the nearest real one, too many
// arguments say so, and `--version` answers from the front door and the full CLI alike.

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

TEST_CASE("a typo'd command gets the nearest real one, an unrelated word gets none") {
  Sandbox sandbox;
  const Outcome typo = sandbox.tproc({"biuld"});
  CHECK(typo.status == 2);
  CHECK_THAT(typo, IsOneLineError().naming("unknown command 'biuld'").naming("did you mean 'build'?"));
  const Outcome swapped = sandbox.tproc({"sotp", "demo", "1"});
  CHECK_THAT(swapped, IsOneLineError().naming("'sotp'").naming("did you mean 'stop'?"));
  const Outcome unrelated = sandbox.tproc({"xyzzyq"});
  CHECK(unrelated.status == 2);
  CHECK_THAT(unrelated, IsOneLineError().naming("unknown command 'xyzzyq'"));
  CHECK(unrelated.err.find("did you mean") == std::string::npos);
}

TEST_CASE("a typo'd long option gets the nearest option of that command") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"ps", "--formt", "json"}),
             IsOneLineError().naming("--formt").naming("did you mean --format?"));
  CHECK_THAT(sandbox.tproc({"stop", "--tiem", "3", "demo", "1"}),
             IsOneLineError().naming("--tiem").naming("did you mean --time?"));
  // Two letters swapped are one slip; a long option typed with one dash is the long option.
  const Outcome swapped = sandbox.tproc({"run", "--cdw", "/tmp", "demo", "/bin/true"});
  CHECK(swapped.status == 125);
  CHECK_THAT(swapped, IsOneLineError().naming("unknown option --cdw (did you mean --cwd?)"));
  CHECK_THAT(sandbox.tproc({"run", "-cwd", "/tmp", "demo", "/bin/true"}),
             IsOneLineError().naming("unknown option -c (did you mean --cwd?)"));
  CHECK_THAT(sandbox.tproc({"logs", "-since", "10m", "demo"}), IsOneLineError().naming("did you mean --since?"));
  // Nothing was started by any of them.
  CHECK(sandbox.spaces().empty());
}

TEST_CASE("an unknown short option gets the nearest option of that verb, for every verb") {
  Sandbox sandbox;
  // The same letter in the other case, as a docker user's hands slip.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"logs", "-T", "demo", "1"}, "unknown option -T (did you mean -t (--timestamps)?)"},
      {{"ps", "-Q"}, "unknown option -Q (did you mean -q (--quiet)?)"},
      {{"stop", "-T", "3", "demo", "1"}, "unknown option -T (did you mean -t (--time)?)"},
      {{"kill", "-S", "TERM", "demo", "1"}, "unknown option -S (did you mean -s (--signal)?)"},
      {{"rm", "-F", "demo", "1"}, "unknown option -F (did you mean -f (--force)?)"},
      {{"top", "-S", "cpu", "demo"}, "unknown option -S (did you mean -s (--sort)?)"},
      {{"build", "-V"}, "unknown option -V (did you mean -v (--verbose)?)"},
      {{"images", "-Q"}, "unknown option -Q (did you mean -q (--quiet)?)"},
      {{"compose", "-F", "app.yaml", "ps"}, "unknown option -F (did you mean -f (--file)?)"},
      {{"run", "-W", "/tmp", "demo", "/bin/true"}, "unknown option -W (did you mean -w (--cwd)?)"},
      // No short form, but the one long option that starts with the letter.
      {{"logs", "-s", "10m", "demo"}, "unknown option -s (did you mean --since?)"},
      {{"stats", "-n", "demo"}, "unknown option -n (did you mean --no-stream?)"},
  };
  for (const auto& [args, error] : cases) {
    INFO(args[0] << " " << args[1]);
    const Outcome refused = sandbox.tproc(args);
    CHECK(refused.status != 0);
    CHECK_THAT(refused, IsOneLineError().naming(error));
  }
  // A letter nothing is near gets no guess.
  const Outcome unrelated = sandbox.tproc({"ps", "-z"});
  CHECK_THAT(unrelated, IsOneLineError().naming("unknown option -z"));
  CHECK(unrelated.err.find("did you mean") == std::string::npos);
  CHECK(sandbox.spaces().empty());
}

TEST_CASE("short flags combine as docker reads them, and a flag with a value takes the rest of the word") {
  Sandbox sandbox;
  const std::string done = sandbox.detach({"s", program("exit_with"), "0"});
  REQUIRE(eventually([&] {
    auto found = sandbox.find_tproc("s", done, true);
    return found && found->state == "exited";
  }));
  const std::string nap = sandbox.detach({"s", program("sleeper"), "300"});

  const Outcome all_quiet = sandbox.tproc({"ps", "-qa", "s"});
  REQUIRE_THAT(all_quiet, ExitsWith(0));
  CHECK((all_quiet.out == nap + "\n" + done + "\n" || all_quiet.out == done + "\n" + nap + "\n"));
  CHECK(sandbox.tproc({"ps", "-aq", "s"}).out == all_quiet.out);
  CHECK(sandbox.tproc({"ps", "-q", "s"}).out == nap + "\n");
  // -f takes a value: glued on (`-qafstatus=exited`) or as the next word (`-qaf status=exited`).
  CHECK(sandbox.tproc({"ps", "-qaf", "status=exited", "s"}).out == done + "\n");
  CHECK(sandbox.tproc({"ps", "-qafstatus=exited", "s"}).out == done + "\n");
  // An unknown letter inside the word is named alone.
  CHECK_THAT(sandbox.tproc({"ps", "-qz", "s"}), IsOneLineError().naming("unknown option -z"));
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", nap}), ExitsWith(0));
}

TEST_CASE("too many and too few arguments are told apart") {
  Sandbox sandbox;
  const Outcome many = sandbox.tproc({"logs", "demo", "1", "2"});
  CHECK(many.status != 0);
  CHECK_THAT(many, IsOneLineError().naming("too many arguments for logs, from '2' on").naming("SPACE and at most one ID|NAME|SERVICE"));
  CHECK_THAT(sandbox.tproc({"ps", "a", "b"}), IsOneLineError().naming("too many arguments for ps, from 'b' on"));
  CHECK_THAT(sandbox.tproc({"stop", "demo"}), IsOneLineError().naming("stop needs SPACE and ID|NAME"));
  CHECK_THAT(sandbox.tproc({"restart", "demo"}), IsOneLineError().naming("restart needs SPACE and ID|NAME"));
  // Two operands are SPACE and ID|NAME (a running program), one is a bundle: a third is too many.
  CHECK_THAT(sandbox.tproc({"inspect", "demo", "1", "c.bundle"}),
             IsOneLineError().naming("too many arguments for inspect, from 'c.bundle' on"));
}

TEST_CASE("tproc --version and tproc version print the version and the commit, at both doors") {
  Sandbox sandbox;
  const std::regex line(R"(tproc version [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n)");
  const Outcome front = sandbox.tproc({"--version"});
  REQUIRE(front.status == 0);
  CHECK(std::regex_match(front.out, line));
  CHECK(sandbox.tproc({"version"}).out == front.out);
  const Outcome full = sandbox.run_direct({full_cli_binary(), "--version"});
  CHECK(full.status == 0);
  CHECK(full.out == front.out);
  CHECK(sandbox.run_direct({full_cli_binary(), "version"}).out == front.out);
  CHECK_THAT(sandbox.tproc({"version", "extra"}), IsOneLineError().naming("version takes no arguments"));
}

TEST_CASE("tproc info names the version, the paths, the kernel's facilities and the spaces, as JSON too") {
  Sandbox sandbox;
  sandbox.detach({"info-up", program("sleeper"), "30"});
  const Outcome table = sandbox.tproc({"info"});
  REQUIRE(table.status == 0);
  CHECK(table.out.starts_with("tproc version "));
  CHECK(table.out.find("runtime dir:  " + sandbox.runtime_dir().string()) != std::string::npos);
  CHECK(table.out.find("spaces:       1 up, 0 dead") != std::string::npos);
  CHECK(table.out.find("clone3                      yes") != std::string::npos);

  const Outcome json = sandbox.tproc({"info", "--format", "json"});
  REQUIRE(json.status == 0);
  const Json info = Json::parse(json.out);
  CHECK(info.at("home").str() == sandbox.home_dir().string());
  CHECK(info.at("full_cli").str() == full_cli_binary());
  REQUIRE(info.at("spaces").at("up").items().size() == 1);
  CHECK(info.at("spaces").at("up").items()[0].str() == "info-up");
  bool clone3_found = false;
  for (const Json& feature : info.at("features").items()) {
    CHECK_FALSE(feature.at("detail").str().empty());
    if (feature.at("name").str() == "clone3") clone3_found = feature.at("present").kind() == Json::Kind::Bool;
  }
  CHECK(clone3_found);
  CHECK_THAT(sandbox.tproc({"info", "extra"}), IsOneLineError().naming("too many arguments for info"));
}

TEST_CASE("an error that says why in words has no strerror after it") {
  Sandbox sandbox;
  const std::string nap = sandbox.detach({"s", program("sleeper"), "300"});
  const std::string done = sandbox.detach({"s", program("exit_with"), "0"});
  REQUIRE(eventually([&] {
    auto found = sandbox.find_tproc("s", done, true);
    return found && found->state == "exited";
  }));
  struct Case {
    std::vector<std::string> args;
    std::string says;
    std::string noise;
  };
  const std::vector<Case> cases{
      {{"space", "rm", "s"}, "1 tproc(s) still running in space 's' (stop them, or use 'space rm -f')", "Device or resource busy"},
      {{"ps", "nosuch"}, "no space 'nosuch'", "No such process"},
      {{"kill", "s", done}, "tproc " + done + " (exit_with) is not running", "No such process"},
      {{"pause", "s", done}, "is not running", "No such process"},
      {{"daemon", "s"}, "space 's' already has a daemon", "File exists"},
  };
  for (const Case& refused : cases) {
    INFO(refused.args[0] << " " << refused.args[1]);
    const Outcome outcome = sandbox.tproc(refused.args);
    CHECK(outcome.status != 0);
    CHECK_THAT(outcome, IsOneLineError().naming(refused.says));
    CHECK(outcome.err.find(refused.noise) == std::string::npos);
  }
  // The daemon and its programs are untouched by all of it.
  CHECK(sandbox.tproc_info("s", nap).state == "running");
  REQUIRE_THAT(sandbox.tproc({"rm", "-f", "s", nap}), ExitsWith(0));
}
