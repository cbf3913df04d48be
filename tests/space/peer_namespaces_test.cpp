// Who may ask the daemon to start a program: only a peer in all of the daemon's namespaces
// (space/peer_namespaces.hpp). Each case connects a real process, after unshare() where it must
// differ, to a listening socket of this test, which plays the daemon, and asks both ways.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/unique_fd.hpp"
#include "space/peer_namespaces.hpp"

using namespace tproc;
using namespace tproc::space;

namespace {

// Both ways the daemon may read a peer's namespaces: through its pidfd (Linux 6.11+) and /proc.
constexpr PeerNamespaces::Lookup kLookups[] = {PeerNamespaces::Lookup::pidfd_first, PeerNamespaces::Lookup::proc_only};

const char* lookup_name(PeerNamespaces::Lookup lookup) {
  return lookup == PeerNamespaces::Lookup::proc_only ? "through /proc" : "through the pidfd";
}

/// A listening Unix socket in a temporary directory of its own (a path, not an abstract name,
/// which would belong to our network namespace), removed with it.
struct Listener {
  std::string directory = "/tmp/tproc-peer-ns-XXXXXX";
  UniqueFd fd;
  sockaddr_un address{};
  socklen_t length = sizeof(address);

  Listener() {
    REQUIRE(::mkdtemp(directory.data()) != nullptr);
    fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    address.sun_family = AF_UNIX;
    const std::string path = directory + "/socket";
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::listen(fd.get(), 4) == 0);
  }
  ~Listener() {
    ::unlink(address.sun_path);
    ::rmdir(directory.c_str());
  }

  /// Connects from this process (used by children, which inherit the object).
  bool connect_to() const {
    const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return client >= 0 && ::connect(client, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  }
};

/// What a child in other namespaces reports: connected, or why it could not get there.
enum class Outcome : char { connected = 'c', refused_unshare = 'u', failed = 'f' };

/// A child that stays until the test is done with it, and is waited for even when a check fails.
struct HeldChild {
  pid_t pid = -1;
  UniqueFd hold;  ///< closing it lets the child go
  ~HeldChild() {
    hold.reset();
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
};

/// Forks a child that unshares `flags` (and, for a pid namespace, whose own child connects, since
/// only children enter it), connects to `listener`, then waits until the parent closes `hold`.
/// Fills `held` and returns what the child reported.
Outcome connect_from_other_namespaces(const Listener& listener, int flags, HeldChild& held) {
  int report[2], hold[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(hold, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    ::close(hold[1]);
    char said = static_cast<char>(Outcome::failed);
    if (::unshare(flags) != 0) {
      said = static_cast<char>(Outcome::refused_unshare);
    } else if (flags & CLONE_NEWPID) {
      const pid_t inner = ::fork();
      if (inner == 0) {
        char inner_said = static_cast<char>(listener.connect_to() ? Outcome::connected : Outcome::failed);
        (void)!::write(report[1], &inner_said, 1);
        char byte;
        (void)!::read(hold[0], &byte, 1);
        ::_exit(0);
      }
      ::close(report[1]);
      ::waitpid(inner, nullptr, 0);
      ::_exit(0);
    } else if (listener.connect_to()) {
      said = static_cast<char>(Outcome::connected);
    }
    (void)!::write(report[1], &said, 1);
    char byte;
    (void)!::read(hold[0], &byte, 1);  // stays, so its /proc entry does, until the parent looked
    ::_exit(0);
  }
  ::close(report[1]);
  ::close(hold[0]);
  held.pid = child;
  held.hold.reset(hold[1]);
  char said = static_cast<char>(Outcome::failed);
  (void)!::read(report[0], &said, 1);
  ::close(report[0]);
  return static_cast<Outcome>(said);
}

}  // namespace

TEST_CASE("a peer in all of the daemon's namespaces may start programs") {
  auto ours = PeerNamespaces::open_ours();
  REQUIRE(ours);
  Listener listener;
  REQUIRE(listener.connect_to());
  const UniqueFd accepted(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(accepted);
  for (const auto lookup : kLookups) {
    INFO(lookup_name(lookup));
    auto shared = ours->shared_by_peer(accepted.get(), lookup);
    REQUIRE(shared);
    CHECK(*shared);
  }
}

TEST_CASE("a peer in another mount, network, pid, UTS, IPC or user namespace may not") {
  auto ours = PeerNamespaces::open_ours();
  REQUIRE(ours);
  Listener listener;
  const std::pair<const char*, int> kinds[] = {{"mount", CLONE_NEWNS}, {"network", CLONE_NEWNET}, {"pid", CLONE_NEWPID},
                                               {"UTS", CLONE_NEWUTS},  {"IPC", CLONE_NEWIPC},    {"user", CLONE_NEWUSER}};
  for (const auto& [kind, flag] : kinds) {
    INFO(kind << " namespace");
    HeldChild child;
    const Outcome outcome = connect_from_other_namespaces(listener, flag, child);
    if (outcome == Outcome::refused_unshare) {
      WARN("unshare of a " << kind << " namespace is not allowed here: not checked");
    } else {
      REQUIRE(outcome == Outcome::connected);
      const UniqueFd accepted(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      REQUIRE(accepted);
      for (const auto lookup : kLookups) {
        INFO(lookup_name(lookup));
        auto shared = ours->shared_by_peer(accepted.get(), lookup);
        REQUIRE(shared);
        CHECK_FALSE(*shared);
      }
    }
  }
}

TEST_CASE("a peer that has exited since it connected may not: its pid could be another process's by now") {
  auto ours = PeerNamespaces::open_ours();
  REQUIRE(ours);
  Listener listener;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(listener.connect_to() ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const UniqueFd accepted(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(accepted);
  for (const auto lookup : kLookups) {
    INFO(lookup_name(lookup));
    auto shared = ours->shared_by_peer(accepted.get(), lookup);
    REQUIRE(shared);
    CHECK_FALSE(*shared);
  }
}
