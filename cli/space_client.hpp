#pragma once
// Reaching a space's daemon from the CLI: connect, start it on demand, ask one question.

#include <span>
#include <string>

#include "common/result.hpp"
#include "protocol/connection.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

/// Connects to the daemon of `space`; fails with ESRCH ("no space 'x'") when none runs.
Result<protocol::Connection> connect_space(const space::SpacePaths& paths, const std::string& space);

/// Ok when a daemon serves `space`; else connect_space's error. For verbs that ask once per
/// target: a space that does not run is said once, not once per target.
Result<void> expect_space_runs(const space::SpacePaths& paths, const std::string& space);

/// How connect_or_start_space treats a space that does not run yet.
enum class NewSpace {
  kUnlessNearMiss,  ///< refused when its name is a typo of an existing space's (cli/space_near_miss.hpp)
  kWanted,          ///< started whatever its name (`run --new-space`, a compose file's space)
};

/// Connects to the daemon of `space`, starting it first if none runs (like an ssh control master).
/// Starting one says so on stderr when stderr is a terminal.
Result<protocol::Connection> connect_or_start_space(const space::SpacePaths& paths, const std::string& space,
                                                    NewSpace new_space = NewSpace::kUnlessNearMiss);

/// Sends `request` and returns the one reply; a Failure reply becomes an Error. A request that
/// cannot be sent (too large) fails at once. With `signals` (a signalfd of the forwarded signals,
/// which the caller blocked), waiting for the reply ends as those signals would end a direct run
/// (await_answer in cli/stand_in.hpp).
Result<protocol::Received> ask(protocol::Connection& connection, const protocol::Message& request,
                               std::span<const int> fds = {}, int signals = -1);

/// Waits for the one reply to a request already sent on `connection`; a Failure reply becomes an
/// Error.
Result<protocol::Received> receive_reply(protocol::Connection& connection);

/// Connects to `space` and asks one question.
Result<protocol::Received> ask_space(const space::SpacePaths& paths, const std::string& space,
                                     const protocol::Message& request);

/// The reply's message as the expected type (its fds stay in `received`), or an error naming what
/// came instead.
template <class T>
Result<T> expect(protocol::Received& received) {
  if (T* value = std::get_if<T>(&received.message)) return std::move(*value);
  return Error(std::string("unexpected reply ") + protocol::type_name(received.message) + " from the space daemon", EPROTO);
}

}  // namespace tproc::cli
