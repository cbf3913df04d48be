#include "cli/space_client.hpp"

#include "cli/stand_in.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/executables.hpp"
#include "cli/space_near_miss.hpp"
#include "common/detached_start.hpp"
#include "space/space_socket.hpp"

namespace tproc::cli {
namespace {

bool no_daemon(const Error& error) { return error.code() == ENOENT || error.code() == ECONNREFUSED; }

/// Starts `tproc daemon SPACE` detached from us (its own session, reparented to init) and waits
/// until it listens or says why it cannot. It finds the same TPROC_* paths in its environment.
/// False when another client started it at the same time.
Result<bool> start_daemon(const std::string& space) {
  // The bundle tool runs bundles too, and it is not the daemon: always start the full CLI.
  const std::string tproc = TPROC_TRY(full_cli_executable());

  // The daemon gets /dev/null as 0-2: whatever our caller let us inherit stays out of the space.
  std::string answer = TPROC_TRY(start_detached(tproc, {"tproc", "daemon", space, "--ready-fd", "3"}));
  if (answer == "ok\n") return true;
  if (answer.empty()) return Error::explained("the space daemon for '" + space + "' exited before it was ready", ECHILD);
  // "already has a daemon": another client started it at the same time; it will answer.
  if (answer.find("already has a daemon") != std::string::npos) return false;
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  return Error("start space '" + space + "': " + answer);
}

/// What a receive brought: the reply, or an Error for a Failure reply, a closed connection or a
/// failed receive.
Result<protocol::Received> reply_of(Result<std::optional<protocol::Received>> received) {
  if (!received) return std::move(received).error();
  if (!*received) return Error("the space daemon closed the connection without an answer", ECONNRESET);
  if (auto* failure = std::get_if<protocol::Failure>(&(*received)->message)) {
    if (failure->message.find("protocol version") != std::string::npos)
      return Error::explained(failure->message + " (the space's daemon is another tproc version: restart the space with "
                                                 "'tproc space rm -f SPACE')",
                              failure->code);
    return Error::explained(failure->message, failure->code);
  }
  return std::move(**received);
}

}  // namespace

Result<protocol::Connection> connect_space(const space::SpacePaths& paths, const std::string& space) {
  TPROC_TRY(space::validate_space_name(space));
  auto connection = space::connect_space_socket(paths, space);
  if (!connection && no_daemon(connection.error()))
    return Error::explained("no space '" + space + "' (no daemon listening at " + paths.socket(space) + ")", ESRCH);
  return connection;
}

Result<void> expect_space_runs(const space::SpacePaths& paths, const std::string& space) {
  TPROC_TRY(connect_space(paths, space));  // closed unasked: the daemon forgets it at once
  return ok();
}

Result<protocol::Connection> connect_or_start_space(const space::SpacePaths& paths, const std::string& space,
                                                    NewSpace new_space) {
  TPROC_TRY(space::validate_space_name(space));
  auto connection = space::connect_space_socket(paths, space);
  if (connection || !no_daemon(connection.error())) return connection;

  // A socket nobody listens on is what a daemon that died leaves (one that stops removes it).
  const bool died = connection.error().code() == ECONNREFUSED;
  if (!died && new_space == NewSpace::kUnlessNearMiss)
    if (std::optional<std::string> meant = space_near_miss(space, paths.list_spaces()))
      return Error::explained("no space '" + space + "' (did you mean '" + *meant + "'?); add --new-space to start a new space '" +
                                  space + "'",
                              ESRCH);
  if (TPROC_TRY(start_daemon(space))) {
    if (died)
      std::fprintf(stderr, "tproc: space '%s': its daemon had died (see %s); started a new one\n", space.c_str(),
                   paths.daemon_log(space).c_str());
    else if (::isatty(STDERR_FILENO))
      std::fprintf(stderr, "tproc: started space '%s'\n", space.c_str());
  }
  // A daemon started concurrently by another client may need a moment to listen.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    connection = space::connect_space_socket(paths, space);
    if (connection || !no_daemon(connection.error()) || std::chrono::steady_clock::now() > deadline) return connection;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<protocol::Received> ask(protocol::Connection& connection, const protocol::Message& request, std::span<const int> fds,
                               int signals) {
  // A daemon that refuses us (another uid, too busy) answers and hangs up without reading our
  // request: then the send fails or the first receive is reset, but the answer is still queued.
  // A request that never left (too large) has no answer to wait for.
  auto sent = connection.send(request, fds);
  if (!sent && sent.error().code() != EPIPE && sent.error().code() != ECONNRESET) return std::move(sent).error();
  if (signals >= 0) await_answer(connection.fd(), signals);
  auto received = connection.receive();
  if (!received && received.error().code() == ECONNRESET) received = connection.receive();
  if (!sent && (!received || !*received)) return std::move(sent).error();
  return reply_of(std::move(received));
}

Result<protocol::Received> receive_reply(protocol::Connection& connection) { return reply_of(connection.receive()); }

Result<protocol::Received> ask_space(const space::SpacePaths& paths, const std::string& space, const protocol::Message& request) {
  protocol::Connection connection = TPROC_TRY(connect_space(paths, space));
  auto received = ask(connection, request);
  if (!received && (received.error().code() == ECONNRESET || received.error().code() == EPIPE))
    return Error::explained("space '" + space + "': its daemon went away without answering (killed? see 'tproc space ls')",
                            received.error().code());
  return received;
}

}  // namespace tproc::cli
