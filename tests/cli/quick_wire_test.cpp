// The front door's own wire encoding (cli/front/quick_wire.hpp) says what protocol/messages.hpp
// says: a RunRequest it writes decodes to the request it describes, and it reads the replies the
// daemon encodes — and nothing malformed.

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "cli/front/quick_wire.hpp"
#include "protocol/messages.hpp"

using namespace tproc;
using front::ByteWriter;
using front::QuickReply;

namespace {

std::span<const std::byte> bytes_of(const ByteWriter& writer) {
  return {reinterpret_cast<const std::byte*>(writer.data()), writer.size()};
}

bool read(const std::vector<std::byte>& bytes, QuickReply& reply) {
  return front::read_reply(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), reply);
}

}  // namespace

TEST_CASE("a RunRequest the front door writes decodes to the request it describes") {
  const char* argv[] = {"./prog", "two words", "", "ünïcødé"};
  const char* env[] = {"PATH=/bin", "EMPTY=", "A=1"};
  front::QuickRequest request;
  request.argv = argv;
  request.argc = 4;
  request.env = env;
  request.env_count = 3;
  request.execfn = "./prog";
  request.cwd = "/tmp/here";
  request.name = "named";
  request.detach = true;
  request.ignored_signals = (uint64_t{1} << (SIGPIPE - 1)) | (uint64_t{1} << (SIGHUP - 1));
  const int inherited[] = {3, 5, 63};
  request.inherited_fds = inherited;
  request.inherited_count = 3;
  request.umask = 077;
  request.nice = 5;
  request.blocked_signals = uint64_t{1} << (SIGUSR1 - 1);
  const front::QuickLimit limits[] = {{RLIMIT_NOFILE, 200, 4096}, {RLIMIT_CORE, 0, ~uint64_t{0}}};
  request.limits = limits;
  request.limit_count = 2;
  ByteWriter writer;
  front::write_run_request(request, writer);
  REQUIRE_FALSE(writer.failed());

  auto decoded = protocol::decode(bytes_of(writer));
  REQUIRE(decoded.has_value());
  const auto* run = std::get_if<protocol::RunRequest>(&*decoded);
  REQUIRE(run);
  CHECK(run->argv == std::vector<std::string>{"./prog", "two words", "", "ünïcødé"});
  CHECK(run->env == std::vector<std::string>{"PATH=/bin", "EMPTY=", "A=1"});
  CHECK(run->execfn == "./prog");
  CHECK(run->cwd == "/tmp/here");
  CHECK(run->name == "named");
  CHECK(run->detach);
  CHECK(run->ignored_signals == request.ignored_signals);
  CHECK(run->inherited_fds == std::vector<int32_t>{3, 5, 63});
  CHECK(run->caller.given);
  CHECK(run->caller.umask == 077);
  CHECK(run->caller.nice == 5);
  CHECK(run->caller.blocked_signals == request.blocked_signals);
  REQUIRE(run->caller.limits.size() == 2);
  CHECK(run->caller.limits[0].resource == RLIMIT_NOFILE);
  CHECK(run->caller.limits[0].soft == 200);
  CHECK(run->caller.limits[0].hard == 4096);
  CHECK(run->caller.limits[1].resource == RLIMIT_CORE);
  CHECK(run->caller.limits[1].hard == ~uint64_t{0});
  // What only bundles use stays at its default.
  CHECK(run->limits.empty());
  CHECK_FALSE(run->core_dumps);
  CHECK(run->bundle.empty());
  CHECK_FALSE(run->holds_lock);
  CHECK_FALSE(run->passes_executable);
  CHECK(run->endpoints.empty());
  // Isolation options go to the full CLI: the front door's programs share the daemon's namespaces.
  CHECK(run->rootfs.empty());
  CHECK(run->hostname.empty());
  CHECK(run->network.empty());
  CHECK_FALSE(run->private_pids);
  // tproc-oci's container settings too.
  CHECK_FALSE(run->container.given);
  CHECK(run->container.mounts.empty());
  CHECK(run->container.ipc.empty());
  CHECK(run->seccomp_filter.empty());
  CHECK(run->seccomp_flags == 0);
  CHECK(run->cgroups.empty());
}

TEST_CASE("the front door writes the same bytes as the protocol library for the same request") {
  const char* argv[] = {"/bin/true"};
  front::QuickRequest request;
  request.argv = argv;
  request.argc = 1;
  request.execfn = "/bin/true";
  request.cwd = "/";
  ByteWriter writer;
  front::write_run_request(request, writer);

  protocol::RunRequest same;
  same.argv = {"/bin/true"};
  same.execfn = "/bin/true";
  same.cwd = "/";
  same.caller.given = true;  // the front door always describes its caller
  const std::vector<std::byte> expected = protocol::encode(same);
  REQUIRE(writer.size() == expected.size());
  CHECK(std::memcmp(writer.data(), expected.data(), expected.size()) == 0);
}

TEST_CASE("a large request grows the buffer and keeps every byte") {
  const std::string big(100000, 'x');
  std::vector<const char*> env(20, big.c_str());
  const char* argv[] = {"/bin/true"};
  front::QuickRequest request;
  request.argv = argv;
  request.argc = 1;
  request.env = env.data();
  request.env_count = env.size();
  ByteWriter writer;
  front::write_run_request(request, writer);
  REQUIRE_FALSE(writer.failed());
  auto decoded = protocol::decode(bytes_of(writer));
  REQUIRE(decoded.has_value());
  const auto& run = std::get<protocol::RunRequest>(*decoded);
  REQUIRE(run.env.size() == 20);
  CHECK(run.env.back() == big);
}

TEST_CASE("the front door reads Started, Exited and Failure as the daemon encodes them") {
  QuickReply reply;
  REQUIRE(read(protocol::encode(protocol::Started{42, 1234, 150000}), reply));
  CHECK(reply.kind == QuickReply::kStarted);
  CHECK(reply.id == 42);
  CHECK(reply.launch_ns == 150000);

  REQUIRE(read(protocol::encode(protocol::Exited{false, 3, false}), reply));
  CHECK(reply.kind == QuickReply::kExited);
  CHECK_FALSE(reply.killed);
  CHECK(reply.value == 3);

  REQUIRE(read(protocol::encode(protocol::Exited{true, SIGSEGV, true}), reply));
  CHECK(reply.killed);
  CHECK(reply.value == SIGSEGV);

  const std::vector<std::byte> failure = protocol::encode(protocol::Failure{"name 'x' is in use in space 's'", EEXIST});
  REQUIRE(read(failure, reply));  // the message points into these bytes
  CHECK(reply.kind == QuickReply::kFailure);
  CHECK(std::string(reply.message, reply.message_size) == "name 'x' is in use in space 's'");
  CHECK(reply.code == EEXIST);
}

TEST_CASE("any other well-formed reply is read as not the front door's") {
  QuickReply reply;
  REQUIRE(read(protocol::encode(protocol::Done{}), reply));
  CHECK(reply.kind == QuickReply::kOther);
}

TEST_CASE("the front door refuses replies of another version, cut short or with bytes left over") {
  QuickReply reply;
  std::vector<std::byte> exited = protocol::encode(protocol::Exited{false, 0, false});

  std::vector<std::byte> other_version = exited;
  other_version[4] = std::byte{0x7f};  // the u16 version follows the u32 magic
  CHECK_FALSE(read(other_version, reply));

  std::vector<std::byte> bad_magic = exited;
  bad_magic[0] = std::byte{'X'};
  CHECK_FALSE(read(bad_magic, reply));

  for (size_t size = 0; size < exited.size(); ++size) {
    INFO("cut to " << size << " bytes");
    CHECK_FALSE(read(std::vector<std::byte>(exited.begin(), exited.begin() + static_cast<long>(size)), reply));
  }

  std::vector<std::byte> trailing = exited;
  trailing.push_back(std::byte{0});
  CHECK_FALSE(read(trailing, reply));

  std::vector<std::byte> bad_bool = exited;
  bad_bool[8] = std::byte{2};  // `killed`, right after the 8-byte header
  CHECK_FALSE(read(bad_bool, reply));

  std::vector<std::byte> failure = protocol::encode(protocol::Failure{"why", EIO});
  failure[8] = std::byte{0xff};  // the message's length now runs past the end
  CHECK_FALSE(read(failure, reply));
}
