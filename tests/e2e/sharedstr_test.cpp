// The shared-string demo (samples/sharedstr): one tproc makes a std::string and prints its
// address, another tproc in the same space prints the string found at that address.

#include <catch2/catch.hpp>

#include <csignal>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

TEST_CASE("a string made by one tproc is read by another in the same space") {
  const std::string text = GENERATE(as<std::string>{}, "hi",
                                    "a string too long for the small-string buffer, on the heap");
  Sandbox sandbox;
  ChildProcess allocstr = sandbox.start_tproc({"run", "demo", sample("sharedstr", "allocstr"), text},
                                              {.keep_stdin_open = true});
  std::optional<std::string> address = allocstr.first_line();
  REQUIRE(address);
  REQUIRE(address->rfind("0x", 0) == 0);

  Outcome printed = sandbox.tproc({"run", "demo", sample("sharedstr", "printstr"), *address});
  REQUIRE_THAT(printed, ExitsWith(0));
  CHECK(printed.out == text + "\n");

  // Still alive, still valid: a second reader sees the same string.
  CHECK_THAT(sandbox.tproc({"run", "demo", sample("sharedstr", "printstr"), *address}),
             ExitsWith(0));

  allocstr.close_stdin();  // EOF ends allocstr
  CHECK_THAT(allocstr.wait(), ExitsWith(0));
}

TEST_CASE("allocstr ends cleanly on SIGTERM sent to its tproc run") {
  Sandbox sandbox;
  ChildProcess allocstr = sandbox.start_tproc(
      {"run", "demo", sample("sharedstr", "allocstr"), "bye"}, {.keep_stdin_open = true});
  REQUIRE(allocstr.first_line());
  allocstr.send_signal(SIGTERM);
  CHECK_THAT(allocstr.wait(), ExitsWith(0));
}

TEST_CASE("the demo works with allocstr detached, as the README runs it") {
  Sandbox sandbox;
  const std::string id = sandbox.detach({"demo", sample("sharedstr", "allocstr"), "hello, space"});
  std::string address;
  REQUIRE(eventually([&] {
    Outcome logs = sandbox.tproc({"logs", "demo", id});
    address = logs.out.substr(0, logs.out.find('\n'));
    return logs.status == 0 && address.rfind("0x", 0) == 0 && logs.out.find('\n') != std::string::npos;
  }));

  Outcome printed = sandbox.tproc({"run", "demo", sample("sharedstr", "printstr"), address});
  REQUIRE_THAT(printed, ExitsWith(0));
  CHECK(printed.out == "hello, space\n");

  CHECK(sandbox.tproc_info("demo", id).state == "running");  // /dev/null stdin did not end it
  REQUIRE_THAT(sandbox.tproc({"stop", "demo", id}), ExitsWith(0));
  CHECK(eventually([&] {
    auto listed = sandbox.find_tproc("demo", id);
    return !listed || listed->state != "running";
  }));
}
