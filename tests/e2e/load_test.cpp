// Load (issue 6): many clients and many tprocs at once in one space; clients that connect and say
// nothing, send garbage, send too much or hang up mid-request; peers of another uid. After each the
// daemon is the same process, still serves a normal run, and its memory and descriptors stay
// bounded.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.hpp"
#include "expectations.hpp"
#include "protocol/connection.hpp"
#include "protocol/messages.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace protocol = tproc::protocol;
using tproc::UniqueFd;

namespace {

/// How many tprocs the "alive at once" test starts. Issue 6 asks for 500; on this 2-core machine
/// starting them takes about 5 s and `space rm -f` about 1 s. Each costs the daemon two
/// descriptors (pidfd, mapping-filter listener) and the space about 20 mappings.
constexpr int kManyTprocs = 500;
/// How many `tproc run -d` clients run at once while starting them.
constexpr int kStartBatch = 10;

/// The uid and gid the "other user" tests run as (nobody on Debian).
constexpr uid_t kOtherUid = 65534;
constexpr gid_t kOtherGid = 65534;

bool contains_nocase(std::string text, std::string part) {
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  };
  lower(text);
  lower(part);
  return text.find(part) != std::string::npos;
}

/// A client that speaks to the daemon's socket itself, as a buggy or hostile program would.
class RawClient {
 public:
  explicit RawClient(const fs::path& socket) {
    auto connected = protocol::Connection::connect(socket.native());
    if (!connected) throw std::runtime_error("connect " + socket.native() + ": " + connected.error().describe());
    connection_.emplace(std::move(*connected));
  }

  int fd() const { return connection_->fd(); }

  /// Sends `bytes` as one message; false if the socket refused them.
  bool send_bytes(const std::vector<std::byte>& bytes, const std::vector<int>& fds = {}) {
    iovec io{const_cast<std::byte*>(bytes.data()), bytes.size()};
    msghdr header{};
    header.msg_iov = &io;
    header.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)]{};
    if (!fds.empty()) {
      header.msg_control = control;
      header.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    return ::sendmsg(fd(), &header, MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  bool send_text(std::string_view text) {
    const auto* data = reinterpret_cast<const std::byte*>(text.data());
    return send_bytes(std::vector<std::byte>(data, data + text.size()));
  }

  /// Lets this socket send datagrams of `size` bytes (the default buffer holds about 208 KiB).
  void allow_messages_of(size_t size) {
    const int bytes = static_cast<int>(size * 2 + 65536);
    if (::setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
      ::setsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }

  /// The daemon's next message; nullopt when it closed the connection or said nothing in time.
  std::optional<protocol::Message> reply(Duration timeout = 10s) {
    pollfd waiting{fd(), POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    auto received = connection_->receive();
    if (!received || !*received) return std::nullopt;
    return std::move((*received)->message);
  }

  void close() { connection_.reset(); }

 private:
  std::optional<protocol::Connection> connection_;
};

/// A reply as text for assertions: "Failure: MESSAGE", the type name, or "no reply".
std::string describe(const std::optional<protocol::Message>& reply) {
  if (!reply) return "no reply (connection closed or silent)";
  if (auto* failure = std::get_if<protocol::Failure>(&*reply)) return "Failure: " + failure->message;
  return protocol::type_name(*reply);
}

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* data = reinterpret_cast<const std::byte*>(text.data());
  return {data, data + text.size()};
}

/// A message header (magic "TPRC", version, type) followed by nothing.
std::vector<std::byte> header(uint16_t version, uint16_t type) {
  std::vector<std::byte> bytes = protocol::encode(protocol::InfoRequest{});
  std::memcpy(bytes.data() + 4, &version, 2);
  std::memcpy(bytes.data() + 6, &type, 2);
  return bytes;
}

/// A space whose daemon runs, and the checks that it still does its job.
struct LoadScene {
  Sandbox sandbox;
  const std::string space = "load";
  const pid_t daemon;
  const fs::path socket;

  LoadScene() : daemon(start_space()), socket(sandbox.runtime_dir() / (space + ".sock")) {}

  pid_t start_space() {
    REQUIRE_THAT(sandbox.tproc({"run", space, program("exit_with"), "0"}), ExitsWith(0));
    return sandbox.daemon_pid(space);
  }

  /// The daemon is the same process, answers ps and space ls, and runs a program.
  void expect_serving(const std::string& what) {
    INFO("after " << what);
    REQUIRE(process_alive(daemon));
    CHECK(sandbox.daemon_pid(space) == daemon);
    Outcome run = sandbox.tproc({"run", space, program("exit_with"), "3", "served"});
    CHECK_THAT(run, ExitsWith(3));
    CHECK(run.out == "served\n");
  }
};

/// Opens the sandbox to other users for a scope: its root and runtime dir become 0711 and the
/// space's socket 0777, so only the daemon's own SO_PEERCRED check stands in the way. Restores
/// the modes afterwards, even when the test fails.
class OpenedToOthers {
 public:
  OpenedToOthers(const Sandbox& sandbox, const fs::path& socket) {
    for (const fs::path& path : {sandbox.root(), sandbox.runtime_dir(), socket}) {
      struct stat st {};
      REQUIRE(::stat(path.c_str(), &st) == 0);
      saved_.emplace_back(path, st.st_mode & 07777);
    }
    ::chmod(sandbox.root().c_str(), 0711);
    ::chmod(sandbox.runtime_dir().c_str(), 0711);
    ::chmod(socket.c_str(), 0777);
  }
  ~OpenedToOthers() {
    for (const auto& [path, mode] : saved_) ::chmod(path.c_str(), mode);
  }
  OpenedToOthers(const OpenedToOthers&) = delete;
  OpenedToOthers& operator=(const OpenedToOthers&) = delete;

 private:
  std::vector<std::pair<fs::path, mode_t>> saved_;
};

/// Connects to `socket` as uid/gid 65534 from a forked child, sends `request` unless empty, and
/// returns what came back: "reply: TEXT", "closed", "silent" or "error: REASON".
std::string exchange_as_other_user(const fs::path& socket, const std::vector<std::byte>& request) {
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  UniqueFd report_read(report[0]), report_write(report[1]);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto say = [&](const std::string& text) {
      (void)!::write(report_write.get(), text.data(), text.size());
      ::_exit(0);
    };
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kOtherGid, kOtherGid, kOtherGid) != 0 ||
        ::setresuid(kOtherUid, kOtherUid, kOtherUid) != 0)
      say(std::string("error: drop privileges: ") + std::strerror(errno));
    auto connected = protocol::Connection::connect(socket.native());
    if (!connected) say("error: " + connected.error().describe());
    if (!request.empty() && ::send(connected->fd(), request.data(), request.size(), MSG_NOSIGNAL) < 0)
      say(std::string("error: send: ") + std::strerror(errno));
    pollfd waiting{connected->fd(), POLLIN, 0};
    if (::poll(&waiting, 1, 5000) <= 0) say("silent");
    auto received = connected->receive();
    if (!received) say("error: " + received.error().describe());
    if (!*received) say("closed");
    say("reply: " + describe((*received)->message));
  }
  report_write.reset();
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = ::read(report_read.get(), buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(got));
  int status = 0;
  ::waitpid(child, &status, 0);
  return text;
}

/// `tproc ARGS...` run as uid/gid 65534 through setpriv, from / (which that user may enter).
Outcome tproc_as_other_user(Sandbox& sandbox, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=" + std::to_string(kOtherUid),
                                   "--regid=" + std::to_string(kOtherGid), "--clear-groups",
                                   tproc_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return sandbox.run_direct(argv, {.cwd = "/"});
}

}  // namespace

TEST_CASE("100 concurrent tproc run clients into one space each get their own status") {
  LoadScene scene;
  const std::string sibling = scene.sandbox.detach({"--name", "sibling", scene.space, program("sleeper"), "300"});
  const pid_t sibling_pid = scene.sandbox.tproc_info(scene.space, sibling).pid;

  constexpr int kClients = 100;
  auto status_of = [](int client) { return (client * 37) % 256; };  // 100 different codes
  std::vector<ChildProcess> clients;
  for (int client = 0; client < kClients; ++client)
    clients.push_back(scene.sandbox.start_tproc({"run", scene.space, program("exit_with"),
                                                 std::to_string(status_of(client)),
                                                 "client " + std::to_string(client)}));
  int wrong = 0;
  for (int client = 0; client < kClients; ++client) {
    Outcome outcome = clients[client].wait(60s);
    if (outcome.status != status_of(client) || outcome.out != "client " + std::to_string(client) + "\n") {
      ++wrong;
      INFO("client " << client);
      CHECK_THAT(outcome, ExitsWith(status_of(client)));
      CHECK(outcome.out == "client " + std::to_string(client) + "\n");
    }
  }
  CHECK(wrong == 0);
  CHECK(process_alive(sibling_pid));
  CHECK(scene.sandbox.tproc_info(scene.space, "sibling").state == "running");
  scene.expect_serving("100 concurrent clients");
}

TEST_CASE("500 tprocs alive at once in one space, and space rm -f ends them all") {
  LoadScene scene;
  std::vector<std::string> ids;
  for (int first = 0; first < kManyTprocs; first += kStartBatch) {
    std::vector<ChildProcess> batch;
    for (int i = first; i < std::min(first + kStartBatch, kManyTprocs); ++i)
      batch.push_back(scene.sandbox.start_tproc({"run", "-d", "--name", "many-" + std::to_string(i),
                                                 scene.space, program("sleeper"), "300"}));
    for (ChildProcess& client : batch) {
      Outcome started = client.wait();
      if (started.status != 0) REQUIRE_THAT(started, ExitsWith(0));
      ids.push_back(started.out);
    }
  }

  std::vector<TprocInfo> listed = scene.sandbox.ps(scene.space);
  CHECK(listed.size() == static_cast<size_t>(kManyTprocs));
  std::vector<pid_t> pids;
  size_t running = 0;
  for (const TprocInfo& tproc : listed) {
    pids.push_back(tproc.pid);
    running += tproc.state == "running" && process_alive(tproc.pid);
  }
  CHECK(running == static_cast<size_t>(kManyTprocs));
  auto spaces = scene.sandbox.spaces();
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].tprocs == kManyTprocs);
  scene.expect_serving(std::to_string(kManyTprocs) + " tprocs started");

  REQUIRE_THAT(scene.sandbox.tproc({"space", "rm", "-f", scene.space}, {}, 60s), ExitsWith(0));
  CHECK(eventually([&] { return !process_alive(scene.daemon); }, 30s));
  size_t alive = 0;
  eventually([&] {
    alive = std::count_if(pids.begin(), pids.end(), [](pid_t pid) { return process_alive(pid); });
    return alive == 0;
  }, 30s);
  CHECK(alive == 0);
  CHECK(scene.sandbox.spaces().empty());
}

TEST_CASE("a client that connects and sends nothing does not hold up the daemon") {
  LoadScene scene;
  RawClient silent(scene.socket);
  scene.expect_serving("a silent client connected");
  // Many silent clients at once, held open while the daemon serves others.
  std::vector<RawClient> crowd;
  for (int i = 0; i < 200; ++i) crowd.emplace_back(scene.socket);
  scene.expect_serving("200 silent clients connected");
  CHECK_FALSE(silent.reply(100ms));  // the daemon owes a silent client nothing
  crowd.clear();
  silent.close();
  scene.expect_serving("the silent clients hung up");
}

TEST_CASE("a client that sends garbage gets a 'malformed request' reply") {
  LoadScene scene;
  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd executable(::open(program("sleeper").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(dev_null);
  REQUIRE(executable);

  protocol::RunRequest run;
  run.argv = {program("sleeper"), "300"};
  run.execfn = program("sleeper");
  run.cwd = "/";
  std::vector<std::byte> lying_count = protocol::encode(run);
  const uint32_t huge = 0x7fffffff;
  std::memcpy(lying_count.data() + 8, &huge, 4);  // argv claims two billion strings
  std::vector<std::byte> truncated = protocol::encode(protocol::SignalRequest{"1", SIGKILL});
  truncated.resize(truncated.size() - 3);
  std::vector<std::byte> trailing = protocol::encode(protocol::ListRequest{});
  trailing.push_back(std::byte{0x7a});
  protocol::RunRequest empty_argv = run;
  empty_argv.argv.clear();

  struct Garbage {
    const char* what;
    std::vector<std::byte> bytes;
    std::vector<int> fds;
  };
  std::vector<Garbage> cases = {
      {"text", bytes_of("GET / HTTP/1.1\r\nHost: tproc\r\n\r\n"), {}},
      {"fewer bytes than a header", bytes_of("TPR"), {}},
      {"an unknown protocol version", header(77, 1), {}},
      {"an unknown message type", header(1, 999), {}},
      {"a truncated request", truncated, {}},
      {"trailing bytes", trailing, {}},
      {"a list longer than the message", lying_count, {executable.get(), dev_null.get(), dev_null.get(), dev_null.get()}},
      {"a reply sent as a request", protocol::encode(protocol::Exited{false, 0, false}), {}},
      {"descriptors with a request that takes none", protocol::encode(protocol::ListRequest{}), {dev_null.get()}},
      {"a run request with one descriptor instead of four", protocol::encode(run), {executable.get()}},
      {"a run request with an empty argv", protocol::encode(empty_argv),
       {executable.get(), dev_null.get(), dev_null.get(), dev_null.get()}},
  };
  for (const Garbage& garbage : cases) {
    INFO("sent " << garbage.what);
    RawClient client(scene.socket);
    REQUIRE(client.send_bytes(garbage.bytes, garbage.fds));
    const std::string reply = describe(client.reply());
    CHECK(contains_nocase(reply, "Failure: malformed request"));
    CHECK(lines(reply).size() == 1);
  }
  CHECK(scene.sandbox.ps(scene.space).empty());  // nothing of it started a program
  scene.expect_serving("garbage");
}

TEST_CASE("a client that sends an oversized message gets a clear refusal") {
  LoadScene scene;
  for (size_t size : {protocol::kMaxMessageSize + 1, size_t{512} * 1024}) {
    INFO("a message of " << size << " bytes");
    RawClient client(scene.socket);
    client.allow_messages_of(size);
    std::vector<std::byte> oversized = protocol::encode(protocol::ListRequest{});
    oversized.resize(size, std::byte{'x'});
    REQUIRE(client.send_bytes(oversized));
    const std::string reply = describe(client.reply());
    CHECK(contains_nocase(reply, "Failure: malformed request"));
    CHECK(contains_nocase(reply, "larger than"));
  }
  scene.expect_serving("oversized messages");
}

TEST_CASE("clients that hang up mid-request leave the daemon serving") {
  LoadScene scene;
  SECTION("a request sent, the connection closed before the reply") {
    for (int i = 0; i < 20; ++i) {
      RawClient client(scene.socket);
      REQUIRE(client.send_bytes(protocol::encode(protocol::ListRequest{true})));
    }
    scene.expect_serving("requests whose clients left before the reply");
  }
  SECTION("half a request, then the connection closed") {
    std::vector<std::byte> half = protocol::encode(protocol::SignalRequest{"1", SIGTERM});
    half.resize(half.size() / 2);
    for (int i = 0; i < 20; ++i) {
      RawClient client(scene.socket);
      REQUIRE(client.send_bytes(half));
    }
    scene.expect_serving("half requests");
  }
  SECTION("a shut-down write side, then the connection closed") {
    for (int i = 0; i < 20; ++i) {
      RawClient client(scene.socket);
      ::shutdown(client.fd(), SHUT_WR);
    }
    scene.expect_serving("clients that shut down their write side");
  }
  SECTION("a detached run request, the connection closed before the reply") {
    UniqueFd executable(::open(program("sleeper").c_str(), O_RDONLY | O_CLOEXEC));
    protocol::RunRequest run;
    run.argv = {program("sleeper"), "300"};
    run.execfn = program("sleeper");
    run.cwd = "/";
    run.name = "abandoned";
    run.detach = true;
    {
      RawClient client(scene.socket);
      REQUIRE(client.send_bytes(protocol::encode(run), {executable.get()}));
    }
    // Detached: the program is the space's now, whether or not its starter heard the reply.
    REQUIRE(eventually([&] { return scene.sandbox.find_tproc(scene.space, "abandoned").has_value(); }));
    const pid_t pid = scene.sandbox.tproc_info(scene.space, "abandoned").pid;
    CHECK(process_alive(pid));
    REQUIRE_THAT(scene.sandbox.tproc({"kill", scene.space, "abandoned"}), ExitsWith(0));
    CHECK(eventually([&] { return !process_alive(pid); }));
    scene.expect_serving("a detached run whose client left");
  }
}

TEST_CASE("an attached run whose client hangs up before the reply does not leave its program running") {
  // `tproc run` killed at any moment stops its program (issue 2), even before the daemon's reply.
  LoadScene scene;
  UniqueFd executable(::open(program("sleeper").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  protocol::RunRequest run;
  run.argv = {program("sleeper"), "300"};
  run.execfn = program("sleeper");
  run.cwd = "/";
  run.name = "abandoned";
  {
    RawClient client(scene.socket);
    REQUIRE(client.send_bytes(protocol::encode(run), {executable.get(), dev_null.get(), dev_null.get(), dev_null.get()}));
  }  // hung up before the daemon answered
  std::optional<TprocInfo> started;
  eventually([&] { return (started = scene.sandbox.find_tproc(scene.space, "abandoned")).has_value(); }, 2s);
  if (started) {
    const bool stopped = eventually([&] { return !process_alive(started->pid); }, 5s);
    CHECK(stopped);
    if (!stopped) ::kill(started->pid, SIGKILL);
  }
  scene.expect_serving("an attached run whose client left");
}

TEST_CASE("the daemon's memory and descriptors stay bounded over 200 bad connections") {
  LoadScene scene;
  std::vector<std::byte> oversized = protocol::encode(protocol::ListRequest{});
  oversized.resize(protocol::kMaxMessageSize + 4096, std::byte{'x'});
  std::vector<std::byte> half = protocol::encode(protocol::SignalRequest{"1", SIGTERM});
  half.resize(half.size() / 2);
  auto bad_connection = [&](int kind) {
    RawClient client(scene.socket);
    switch (kind % 5) {
      case 0: client.send_text("garbage garbage garbage"); break;
      case 1: client.allow_messages_of(oversized.size()); client.send_bytes(oversized); break;
      case 2: break;  // connects and hangs up in silence
      case 3: client.send_bytes(half); break;
      case 4: client.send_bytes(protocol::encode(protocol::ListRequest{})); break;  // leaves before the reply
    }
    // Half of those that get an answer wait for it; the others leave before it comes.
    if ((kind % 5 == 0 || kind % 5 == 1 || kind % 5 == 3) && (kind / 5) % 2 == 0) CHECK(client.reply());
  };

  for (int i = 0; i < 20; ++i) bad_connection(i);  // warm-up: the daemon's allocator settles
  scene.expect_serving("the warm-up");
  const size_t fds_before = open_fd_count(scene.daemon);
  const long rss_before = rss_kib(scene.daemon);

  for (int i = 0; i < 200; ++i) bad_connection(i);
  scene.expect_serving("200 bad connections");

  size_t fds_after = 0;
  CHECK(eventually([&] { return (fds_after = open_fd_count(scene.daemon)) <= fds_before; }, 5s));
  const long rss_after = rss_kib(scene.daemon);
  INFO("daemon fds " << fds_before << " -> " << fds_after << ", VmRSS " << rss_before << " KiB -> "
                     << rss_after << " KiB");
  CHECK(rss_after <= rss_before + 4096);  // generous: the space's RSS, not the daemon's alone
}

TEST_CASE("a client of another uid cannot reach the socket: the runtime dir is 0700") {
  LoadScene scene;
  struct stat st {};
  REQUIRE(::stat(scene.sandbox.runtime_dir().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // Its client does not even try: the runtime dir is not its own (tests/e2e/runtime_trust_test.cpp).
  Outcome run = tproc_as_other_user(scene.sandbox, {"run", scene.space, program("exit_with"), "0"});
  CHECK_THAT(run, IsOneLineError().naming(scene.sandbox.runtime_dir().native()).because_of({"Permission denied"}));
  CHECK(run.status == 125);
  Outcome listed = tproc_as_other_user(scene.sandbox, {"ps", scene.space});
  CHECK_THAT(listed, IsOneLineError().naming(scene.sandbox.runtime_dir().native()).because_of({"Permission denied"}));
  CHECK(scene.sandbox.ps(scene.space).empty());
  scene.expect_serving("a client of another uid");
}

TEST_CASE("a peer of another uid that reaches the socket is refused by the daemon (SO_PEERCRED)") {
  LoadScene scene;
  {
    OpenedToOthers opened(scene.sandbox, scene.socket);
    // Connected but silent: the daemon refuses at once, in words.
    const std::string refused = exchange_as_other_user(scene.socket, {});
    CHECK(contains_nocase(refused, "reply: Failure: permission denied"));
    CHECK(contains_nocase(refused, "uid " + std::to_string(kOtherUid)));
    // With a request sent first: refused too (with or without the words), and nothing runs.
    const std::string with_request = exchange_as_other_user(scene.socket, protocol::encode(protocol::ListRequest{}));
    INFO("peer that sent a request saw: " << with_request);
    CHECK_FALSE(contains_nocase(with_request, "TprocList"));
    Outcome run = tproc_as_other_user(scene.sandbox, {"run", scene.space, program("exit_with"), "0"});
    CHECK(run.status != 0);
    CHECK(run.signal == 0);
  }
  CHECK(scene.sandbox.ps(scene.space).empty());
  scene.expect_serving("peers of another uid");
}

TEST_CASE("the tproc CLI of another uid refuses a socket it can reach in a runtime dir that is not its own") {
  // Even opened to others, root's runtime dir is no place for that user's argv and environment:
  // the client refuses before it connects (the daemon would refuse it too, as above).
  LoadScene scene;
  OpenedToOthers opened(scene.sandbox, scene.socket);
  Outcome run = tproc_as_other_user(scene.sandbox, {"run", scene.space, program("exit_with"), "0"});
  CHECK_THAT(run, IsOneLineError().naming(scene.sandbox.runtime_dir().native()).because_of({"owned"}));
  CHECK(run.status == 125);
  Outcome listed = tproc_as_other_user(scene.sandbox, {"ps", scene.space});
  CHECK_THAT(listed, IsOneLineError().naming(scene.sandbox.runtime_dir().native()).because_of({"owned"}));
}
