// tproc space ls | rm: the spaces themselves.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "cli/space_stats.hpp"
#include "common/unique_fd.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc space ls [--format table|json]\n"
    "       tproc space rm [-f] NAME\n\n"
    "ls  list the spaces: name, daemon pid, running tprocs, memory (the space's RSS: every tproc's and\n"
    "    the daemon's, see 'tproc stats'), state, and whether the space reclaims\n"
    "    what its programs map (off: its daemon runs with --no-reclaim / TPROC_RECLAIM=off)\n"
    "rm  stop a space's daemon and remove its state; refuses while tprocs run unless -f (--force),\n"
    "    which kills them first\n";

Result<int> list(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool as_json = TPROC_TRY(arguments.json_format());
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());

  std::vector<std::vector<std::string>> table;
  std::string json = "[";
  for (const std::string& name : paths.list_spaces()) {
    auto reply = ask_space(paths, name, protocol::InfoRequest{});
    auto info = reply ? expect<protocol::SpaceInfo>(*reply) : Result<protocol::SpaceInfo>(reply.error());
    // A socket without a daemon behind it: the daemon died. Show it, so the user can `space rm` it.
    const bool alive = info.has_value();
    const std::string pid = alive ? std::to_string(info->daemon_pid) : "-";
    const std::string running = alive ? std::to_string(info->running) : "-";
    const std::string reclaim = alive ? (info->reclaim ? "on" : "off") : "-";
    const std::string memory = alive ? human_size(info->rss, SizeUnits::binary) : "-";
    table.push_back({name, pid, running, memory, alive ? "up" : "dead", reclaim});
    json += std::string(json.size() > 1 ? "," : "") + "\n  {\"name\": " + json_string(name) + ", \"pid\": " +
            (alive ? pid : "null") + ", \"tprocs\": " + (alive ? running : "null") + ", \"rss_bytes\": " + (alive ? std::to_string(info->rss) : "null") + ", \"state\": \"" +
            (alive ? "up" : "dead") + "\", \"reclaim\": " + (alive ? (info->reclaim ? "true" : "false") : "null") + "}";
  }
  if (as_json) {
    std::printf("%s%s]\n", json.c_str(), json.size() > 1 ? "\n" : "");
  } else {
    print_table({"NAME", "PID", "TPROCS", "MEMORY", "STATE", "RECLAIM"}, table);
  }
  return 0;
}

/// The daemon's process (a pidfd), named by the space's lock file; empty if that cannot be told.
/// Taken before the daemon is asked to exit, so no other process can take its pid meanwhile.
UniqueFd daemon_process(const space::SpacePaths& paths, const std::string& name) {
  UniqueFd lock(::open(paths.lock(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!lock) return UniqueFd();
  const space::LockHolders holders = space::read_lock_holders(lock.get());
  if (holders.daemon <= 0) return UniqueFd();
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, holders.daemon, 0)));
}

/// Kills every running tproc of the space, then asks the daemon to exit, waiting for the kills
/// to be reaped and for the daemon itself to be gone.
Result<void> shut_down(const space::SpacePaths& paths, const std::string& name, bool force) {
  const UniqueFd daemon = daemon_process(paths, name);
  if (force) {
    protocol::Received reply = TPROC_TRY(ask_space(paths, name, protocol::ListRequest{false}));
    for (const protocol::TprocInfo& tproc : TPROC_TRY(expect<protocol::TprocList>(reply)).tprocs)
      (void)ask_space(paths, name, protocol::SignalRequest{std::to_string(tproc.id), SIGKILL});
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto done = ask_space(paths, name, protocol::ShutdownRequest{});
    if (done) break;
    if (!force || done.error().code() != EBUSY || std::chrono::steady_clock::now() > deadline) {
      if (done.error().code() == EBUSY) return Error::explained(done.error().message() + " (stop them, or use 'space rm -f')", EBUSY);
      return std::move(done).error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The daemon removes its socket on its way out, then still tears down (its listener threads,
  // its reclaim): wait for its end, so `rm` is done when we return and nothing of it lingers.
  while (::access(paths.socket(name).c_str(), F_OK) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (daemon) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ended{daemon.get(), POLLIN, 0};
    while (::poll(&ended, 1, std::max<int>(0, static_cast<int>(left.count()))) < 0 && errno == EINTR) {}
  }
  return ok();
}

/// A space whose daemon died may still have tprocs, kept alive by the daemon's listener keeper
/// (space/listener_keeper.hpp), which holds the space's lock. With `force`, asks the keeper to
/// end them and waits until the lock is free.
Result<void> end_orphans(const space::SpacePaths& paths, const std::string& name, bool force) {
  UniqueFd lock(::open(paths.lock(name).c_str(), O_RDWR | O_CLOEXEC));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) return ok();  // nobody holds it
  const space::LockHolders holders = space::read_lock_holders(lock.get());
  if (holders.keeper <= 0) return Error::explained("the space's lock is held by an unknown process", EBUSY);
  if (!force)
    return Error::explained("its daemon died but its tprocs still run (their keeper is pid " +
                                std::to_string(holders.keeper) + "): use 'space rm -f' to end them",
                            EBUSY);
  ::kill(holders.keeper, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    if (std::chrono::steady_clock::now() > deadline) return Error::explained("the keeper (pid " + std::to_string(holders.keeper) + ") did not let go", ETIMEDOUT);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok();
}

Result<int> remove(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"force", 'f', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("space rm", 1, 1, "NAME"));
  const std::string& name = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(name));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());

  auto connection = connect_space(paths, name);
  if (connection) {
    TPROC_TRY_CTX("space rm " + name, shut_down(paths, name, arguments.has("force")));
  } else if (::access(paths.socket(name).c_str(), F_OK) == 0) {
    TPROC_TRY_CTX("space rm " + name, end_orphans(paths, name, arguments.has("force")));
    ::unlink(paths.socket(name).c_str());  // a dead daemon's socket
    ::unlink(paths.lock(name).c_str());
  } else if (!std::filesystem::exists(paths.state_dir(name))) {
    return std::move(connection).error();
  }
  std::error_code ignored;
  std::filesystem::remove_all(paths.state_dir(name), ignored);
  std::printf("%s\n", name.c_str());
  return 0;
}

Result<int> space_command(std::span<char* const> args) {
  if (args.empty() || std::string(args[0]) == "--help" || std::string(args[0]) == "-h") {
    std::fputs(kUsage, stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string verb = args[0];
  if (verb == "ls") return list(args.subspan(1));
  if (verb == "rm") return remove(args.subspan(1));
  return Error::explained("unknown space command '" + verb + "' (ls or rm)", EINVAL);
}

}  // namespace

const Command kSpaceCommand{"space", "List or remove spaces", kUsage, space_command};

}  // namespace tproc::cli
