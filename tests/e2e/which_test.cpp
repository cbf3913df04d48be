// tproc which SPACE ADDRESS (issue 15): what is at an address of a shared address space -- the
// owning tproc, the mapping, the ELF object and symbol, the space-heap block and who allocated
// it -- on addresses real programs print: tests/programs/which_target (its function, libc's puts,
// its .data and .bss, its stack, its own malloc, a space-heap block) and the shared-string sample.

#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <string>

#include "expectations.hpp"
#include "json.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

namespace {

/// Starts which_target detached in `space` and returns its id and the addresses it printed.
std::pair<std::string, std::map<std::string, std::string>> start_target(Sandbox& sandbox, const std::string& space) {
  const std::string id = sandbox.detach({space, program("which_target")});
  std::map<std::string, std::string> addresses;
  REQUIRE(eventually([&] {
    const Outcome logs = sandbox.tproc({"logs", space, id});
    if (logs.out.find("ready\n") == std::string::npos) return false;
    size_t at = 0;
    for (size_t end; (end = logs.out.find('\n', at)) != std::string::npos; at = end + 1) {
      const std::string line = logs.out.substr(at, end - at);
      const size_t equals = line.find('=');
      if (equals != std::string::npos) addresses[line.substr(0, equals)] = line.substr(equals + 1);
    }
    return true;
  }));
  return {id, addresses};
}

Json which(Sandbox& sandbox, const std::string& space, const std::string& address) {
  const Outcome outcome = sandbox.tproc({"which", "--format", "json", space, address});
  INFO(outcome.err);
  REQUIRE_THAT(outcome, ExitsWith(0));
  return Json::parse(outcome.out);
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST_CASE("which names a program's own function: its tproc, its executable, the symbol and offset") {
  Sandbox sandbox;
  const auto [id, addresses] = start_target(sandbox, "s");
  const Json found = which(sandbox, "s", addresses.at("function"));
  CHECK(found.at("address").str() == addresses.at("function"));
  CHECK(found.at("owner").at("kind").str() == "tproc");
  CHECK(found.at("owner").at("tproc").at("id").text() == id);
  CHECK(found.at("owner").at("tproc").at("name").str() == "which_target");
  CHECK(found.at("owner").at("origin").str() == "executable");
  CHECK(found.at("mapping").at("kind").str() == "file");
  CHECK(found.at("mapping").at("perms").str().substr(0, 3) == "r-x");
  CHECK(ends_with(found.at("object").at("path").str(), "/which_target"));
  CHECK(found.at("object").at("symbol").at("name").str() == "which_marker");
  CHECK(found.at("object").at("symbol").at("offset").text() == "0");
  CHECK(found.at("object").at("symbol").at("table").str() == "symtab");
  CHECK(found.at("block").kind() == Json::Kind::Null);

  // Two bytes in: the same function, at +0x2; the table format says so in words.
  const uint64_t inside = std::stoull(addresses.at("function"), nullptr, 16) + 2;
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(inside));
  const Outcome shown = sandbox.tproc({"which", "s", text});
  REQUIRE_THAT(shown, ExitsWith(0));
  CHECK(shown.out.find("tproc " + id + " (which_target): its executable") != std::string::npos);
  CHECK(shown.out.find("symbol:   which_marker+0x2\n") != std::string::npos);
}

TEST_CASE("which names a libc function of a program by libc's dynamic symbol, in the tproc's own mapping") {
  Sandbox sandbox;
  const auto [id, addresses] = start_target(sandbox, "s");
  const Json found = which(sandbox, "s", addresses.at("libc"));
  CHECK(found.at("owner").at("tproc").at("id").text() == id);
  CHECK(found.at("owner").at("origin").str() == "mapped");  // ld.so mapped libc for it
  CHECK(found.at("object").at("path").str().find("libc.so.6") != std::string::npos);
  CHECK(found.at("object").at("symbol").at("name").str() == "puts");  // not its alias _IO_puts
  CHECK(found.at("object").at("symbol").at("offset").text() == "0");
  CHECK(found.at("object").at("symbol").at("table").str() == "dynsym");  // Debian's libc is stripped
}

TEST_CASE("which names a program's globals in .data and .bss by symbol") {
  Sandbox sandbox;
  const auto [id, addresses] = start_target(sandbox, "s");
  const Json global = which(sandbox, "s", addresses.at("global"));
  CHECK(global.at("owner").at("tproc").at("id").text() == id);
  CHECK(global.at("object").at("symbol").at("name").str() == "which_global");
  const Json zeroed = which(sandbox, "s", addresses.at("zeroed"));
  CHECK(zeroed.at("object").at("symbol").at("name").str() == "which_zeroed");
  CHECK(zeroed.at("object").at("symbol").at("offset").text() == "100");
}

TEST_CASE("which names a program's stack, and its own malloc memory as a mapping of its, not a heap block") {
  Sandbox sandbox;
  const auto [id, addresses] = start_target(sandbox, "s");
  const Json stack = which(sandbox, "s", addresses.at("stack"));
  CHECK(stack.at("owner").at("tproc").at("id").text() == id);
  CHECK(stack.at("owner").at("origin").str() == "stack");
  CHECK(stack.at("mapping").at("kind").str() == "stack");
  CHECK(stack.at("object").kind() == Json::Kind::Null);

  const Json private_block = which(sandbox, "s", addresses.at("malloc"));
  CHECK(private_block.at("owner").at("tproc").at("id").text() == id);
  CHECK(private_block.at("owner").at("origin").str() == "mapped");
  CHECK(private_block.at("block").kind() == Json::Kind::Null);
}

TEST_CASE("which on the shared-string sample's pointer names allocstr, whose malloc made it") {
  Sandbox sandbox;
  const std::string id =
      sandbox.detach({"s", sample("sharedstr", "allocstr"), "a string too long for the small-string buffer"});
  std::string address;
  REQUIRE(eventually([&] {
    const Outcome logs = sandbox.tproc({"logs", "s", id});
    address = logs.out.substr(0, logs.out.find('\n'));
    return address.rfind("0x", 0) == 0 && logs.out.find('\n') != std::string::npos;
  }));
  const Json found = which(sandbox, "s", address);
  CHECK(found.at("owner").at("kind").str() == "tproc");
  CHECK(found.at("owner").at("tproc").at("id").text() == id);
  CHECK(found.at("owner").at("tproc").at("name").str() == "allocstr");
  CHECK(found.at("mapping").at("kind").str() == "anon");
}

TEST_CASE("which in the space heap names the block: its start, size, and the tproc that allocated it") {
  Sandbox sandbox;
  const auto [id, addresses] = start_target(sandbox, "s");
  REQUIRE(addresses.at("space_block") != "none");
  const uint64_t pointer = std::stoull(addresses.at("space_block"), nullptr, 16);  // 16 bytes into a 200-byte block
  const Json found = which(sandbox, "s", addresses.at("space_block"));
  CHECK(found.at("owner").at("kind").str() == "heap");
  const Json& block = found.at("block");
  REQUIRE(block.is_object());
  CHECK(std::stoull(block.at("begin").str(), nullptr, 16) == pointer - 16);
  CHECK(block.at("offset").text() == "16");
  CHECK(std::stoull(block.at("size").text()) >= 200);
  CHECK(block.at("allocated_by").at("id").text() == id);
  CHECK(block.at("allocated_by").at("name").str() == "which_target");

  const Outcome shown = sandbox.tproc({"which", "s", addresses.at("space_block")});
  CHECK(shown.out.find("owner:    the space heap\n") != std::string::npos);
  CHECK(shown.out.find("16 bytes in; allocated by tproc " + id + " (which_target)") != std::string::npos);

  // The block outlives its allocator, and so does the answer.
  REQUIRE_THAT(sandbox.tproc({"kill", "s", id}), ExitsWith(0));
  REQUIRE(eventually([&] { return sandbox.tproc_info("s", id, true).state == "exited"; }));
  const Json after = which(sandbox, "s", addresses.at("space_block"));
  CHECK(after.at("block").at("allocated_by").at("id").text() == id);
  CHECK(after.at("block").at("allocated_by").at("running").source() == "false");
}

TEST_CASE("which refuses what is no address, an address in no mapping and a space that does not run, in one line") {
  Sandbox sandbox;
  sandbox.detach({"s", program("sleeper"), "60"});
  CHECK_THAT(sandbox.tproc({"which", "s", "0x10"}), IsOneLineError().naming("0x10 is not mapped in space 's'"));
  CHECK_THAT(sandbox.tproc({"which", "s", "0xzz"}), IsOneLineError().naming("'0xzz'").because_of({"hex"}));
  CHECK_THAT(sandbox.tproc({"which", "s", "4096"}), IsOneLineError().naming("'4096'").because_of({"hex"}));
  CHECK_THAT(sandbox.tproc({"which", "s", "0x10000000000000000"}), IsOneLineError().naming("0x10000000000000000"));
  CHECK_THAT(sandbox.tproc({"which", "s"}), IsOneLineError().naming("which").because_of({"needs"}));
  CHECK_THAT(sandbox.tproc({"which", "nosuch", "0x10"}), IsOneLineError().naming("nosuch").because_of({"no space"}));
  CHECK_THAT(sandbox.tproc({"which", "--format", "yaml", "s", "0x10"}), IsOneLineError().naming("yaml"));

  // A space whose daemon died: named, and nothing crashes.
  sandbox.detach({"gone", program("exit_with"), "0"});
  const pid_t daemon = sandbox.daemon_pid("gone");
  REQUIRE(::kill(daemon, SIGKILL) == 0);
  REQUIRE(eventually([&] { return ::kill(daemon, 0) != 0; }));
  CHECK_THAT(sandbox.tproc({"which", "gone", "0x10"}), IsOneLineError().naming("gone"));
  // The other space was not disturbed.
  CHECK(sandbox.tproc({"which", "s", "0x10"}).err.find("not mapped") != std::string::npos);
}
