// The wire protocol: every message round-trips, and malformed bytes are refused, never trusted.

#include <catch2/catch.hpp>

#include <random>

#include "protocol/messages.hpp"

using namespace tproc::protocol;

namespace {

RunRequest sample_run() {
  RunRequest request;
  request.argv = {"/bin/echo", "hello", ""};
  request.env = {"PATH=/bin", "EMPTY="};
  request.execfn = "/bin/echo";
  request.cwd = "/tmp";
  request.name = "echo";
  request.detach = true;
  request.rootfs = "/srv/rootfs";
  request.hostname = "box";
  request.network = "ns:/run/netns/blue";
  request.private_pids = true;
  return request;
}

}  // namespace

TEST_CASE("A RunRequest survives encode and decode unchanged") {
  auto decoded = decode(encode(sample_run()));
  REQUIRE(decoded.has_value());
  const auto* run = std::get_if<RunRequest>(&*decoded);
  REQUIRE(run);
  CHECK(run->argv == sample_run().argv);
  CHECK(run->env == sample_run().env);
  CHECK(run->execfn == "/bin/echo");
  CHECK(run->cwd == "/tmp");
  CHECK(run->name == "echo");
  CHECK(run->detach);
  CHECK(run->rootfs == "/srv/rootfs");
  CHECK(run->hostname == "box");
  CHECK(run->network == "ns:/run/netns/blue");
  CHECK(run->private_pids);
}

TEST_CASE("A list of tprocs survives encode and decode unchanged") {
  TprocList list;
  list.tprocs.push_back(TprocInfo{7, "kv", 1234, true, 0, 1700000000, "kv --port 7000", false});
  list.tprocs.push_back(TprocInfo{8, "job", 1250, false, 137, 1700000001, "job", true});
  auto decoded = decode(encode(list));
  REQUIRE(decoded.has_value());
  const auto& tprocs = std::get<TprocList>(*decoded).tprocs;
  REQUIRE(tprocs.size() == 2);
  CHECK(tprocs[1].exit_status == 137);
  CHECK(tprocs[1].detached);
  CHECK(tprocs[0].command == "kv --port 7000");
}

TEST_CASE("Messages without fields round-trip") {
  for (Message message : {Message(InfoRequest{}), Message(ShutdownRequest{}), Message(Done{})}) {
    auto decoded = decode(encode(message));
    REQUIRE(decoded.has_value());
    CHECK(decoded->index() == message.index());
  }
}

TEST_CASE("decode refuses bytes that are not a tproc message") {
  std::vector<std::byte> garbage(16, std::byte{0x41});
  auto decoded = decode(garbage);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().message(), Catch::Contains("bad magic"));
  CHECK_FALSE(decode({}).has_value());
}

TEST_CASE("decode refuses an unknown message type") {
  auto bytes = encode(Done{});
  bytes[6] = std::byte{0xff};
  auto decoded = decode(bytes);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().message(), Catch::Contains("unknown message type"));
}

TEST_CASE("decode refuses trailing bytes") {
  auto bytes = encode(ListRequest{true});
  bytes.push_back(std::byte{0});
  auto decoded = decode(bytes);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().message(), Catch::Contains("trailing bytes"));
}

TEST_CASE("decode refuses a string or list length that runs past the end") {
  auto bytes = encode(OpenRequest{"name"});
  bytes[8] = std::byte{0xff};  // the string's length, first byte after the 8-byte header
  auto decoded = decode(bytes);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().message(), Catch::Contains("runs past the end"));
}

TEST_CASE("decode refuses a bool that is neither 0 nor 1") {
  auto bytes = encode(ListRequest{true});
  bytes.back() = std::byte{2};
  auto decoded = decode(bytes);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().message(), Catch::Contains("invalid bool"));
}

TEST_CASE("decode survives every truncation and random corruption of a valid message") {
  const auto valid = encode(sample_run());
  for (size_t length = 0; length < valid.size(); ++length) {
    std::vector<std::byte> prefix(valid.begin(), valid.begin() + static_cast<long>(length));
    CHECK_FALSE(decode(prefix).has_value());
  }
  std::mt19937 random(42);
  for (int round = 0; round < 2000; ++round) {
    auto corrupted = valid;
    for (int flips = 0; flips < 3; ++flips) corrupted[random() % corrupted.size()] = std::byte(random() & 0xff);
    (void)decode(corrupted);  // any answer but a crash
  }
}
