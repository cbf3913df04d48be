#pragma once
// Daemon: one space — its address space, its tprocs and the socket clients reach it on.
//
// Single-threaded: every client, every tproc's pidfd and the daemon's own signals are fds on one
// io_uring poll loop, and no handler blocks, so one slow or hostile client never stalls another.
// Handlers for each request live in space/operations/, one file per operation.

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "loader/host_auxv.hpp"
#include "loader/interpreter_stock.hpp"
#include "protocol/connection.hpp"
#include "registry/heap_region.hpp"
#include "registry/registry.hpp"
#include "registry/registry_region.hpp"
#include "runtime/brk_guard.hpp"
#include "space/event_loop.hpp"
#include "space/freezer_cgroups.hpp"
#include "space/listener_keeper.hpp"
#include "space/mapping_server.hpp"
#include "space/peer_namespaces.hpp"
#include "space/pids_cgroup.hpp"
#include "space/program_exe.hpp"
#include "space/space_paths.hpp"
#include "space/tproc_table.hpp"

namespace tproc::space {

class EndpointPlan;

/// How a daemon runs its space; fixed when it starts.
struct DaemonOptions {
  /// Runs every tproc under the mapping filter so what it maps is reclaimed when it ends
  /// (runtime/mapping_filter.hpp, space/mapping_server.hpp). Off (`tproc daemon --no-reclaim`,
  /// TPROC_RECLAIM=off): no filter, no listener, no mapping server: a tproc's mmap/munmap/mremap
  /// run in the kernel directly and what it maps itself stays in the space after it ends (only what
  /// the daemon mapped for it -- program, interpreter, stack -- is released). Nor can the daemon then
  /// enforce an address_space limit or learn where ld.so loads a position-independent executable
  /// (symbol endpoints of a PIE bundle): runs that need either are refused. For measuring the
  /// mechanism's cost, and for users who trade reclaim for speed.
  bool reclaim = true;
  /// How long the daemon lives on once no tproc runs and no client waits (the kept records of
  /// exited tprocs do not keep it: they go with it); zero: forever (space/daemon_idle_exit.cpp).
  std::chrono::milliseconds idle_exit{0};
};

/// The process that hosts one space.
class Daemon {
 public:
  /// Takes the space's lock, guards the program break, maps the registry and listens on the
  /// space's socket. Fails if another daemon serves the space.
  static Result<std::unique_ptr<Daemon>> create(std::string space, SpacePaths paths, DaemonOptions options = {});
  ~Daemon();

  /// Serves clients until a shutdown request or SIGTERM/SIGINT/SIGHUP.
  Result<void> serve();

  const std::string& space() const { return space_; }

 private:
  /// A client connection waiting for (or between) requests.
  struct Client {
    protocol::Connection connection;
    uint64_t accepted_ns = 0;  ///< CLOCK_MONOTONIC when accepted: it must ask within kRequestDeadlineNs
    uint64_t watch = 0;        ///< the event loop's token for its readability watch, 0 while none
  };

  Daemon(std::string space, SpacePaths paths) : space_(std::move(space)), paths_(std::move(paths)) {}

  // The event handlers.
  void accept_clients();
  void on_client_readable(int fd);
  /// Drops every connection that has sent nothing within kRequestDeadlineNs, then re-arms the
  /// idle timer for the next deadline (if any connection waits).
  void drop_idle_clients();
  /// Arms the idle timer for the oldest waiting connection's deadline, unless nothing waits.
  void arm_idle_timer();
  /// Ends the waiting connection on `fd`, telling it `why`.
  void drop_client(int fd, const std::string& why);
  void on_signal();
  /// Starts watching for idleness when options_.idle_exit is set (space/daemon_idle_exit.cpp).
  Result<void> watch_idleness();
  /// Looks whether the space is busy; stops the loop once it has been idle for idle_exit.
  void on_idle_check();
  /// Watches the log dir for writes to detached tprocs' logs (space/daemon_logs.cpp).
  Result<void> watch_logs();
  /// Samples the logs written to, then waits kLogSampleIntervalNs before looking again.
  void on_logs_written();
  void on_tproc_exit(uint64_t id);
  void on_attached_client_event(uint64_t id);
  /// Withdraws the endpoints of `pid` (which ended or left the space) and drops what still waited
  /// to be published for it; if a live tproc holds the registry's writer lock, retries from the
  /// event loop until it can. Safe from any thread.
  void withdraw_endpoints(pid_t pid);
  void try_withdraw(pid_t pid);
  void retry_withdrawals();

  /// A tproc's declared endpoints that are not all in the registry yet.
  struct PendingPublication {
    pid_t pid = 0;
    std::shared_ptr<const EndpointPlan> plan;
    std::optional<uint64_t> bias;  ///< where the executable was loaded: unknown until ld.so maps it
    size_t next = 0;               ///< the first endpoint not yet published
  };
  /// Publishes what a tproc's manifest declares, now or once ld.so has mapped its executable.
  /// Publishing never waits long for the registry's writer lock (a stopped tproc may hold it): what
  /// cannot be published at once is retried from the event loop. Fails only for an endpoint the
  /// registry refuses outright (EEXIST, ENOSPC...) when publishing at once.
  Result<void> publish_endpoints(const TprocRecord& record, EndpointPlan plan);
  /// ld.so mapped tproc `id`'s executable at `address` (on the mapping thread): publish now or later.
  void publish_at_load(uint64_t id, uint64_t address);
  /// Publishes what is pending for `id` (publications_mutex_ held); false while the lock is busy,
  /// then arms the retry timer. `failures` gets each endpoint the registry refused.
  bool publish_pending(uint64_t id, PendingPublication& pending, int patience_ms, std::vector<Error>* failures);
  void retry_publications();
  /// Removes the pids cgroups of ended tprocs once empty; while some are still in use, arms
  /// pids_timer_ to look again (on_pids_timer).
  void retry_pids_cgroups();
  void on_pids_timer();
  void watch_client(int fd);

  // The operations (space/operations/*.cpp). Each answers on `client` and may keep it.
  void handle(std::unique_ptr<Client> client, protocol::RunRequest request, std::vector<UniqueFd> fds);
  void handle(std::unique_ptr<Client> client, protocol::ListRequest request);
  void handle(std::unique_ptr<Client> client, protocol::SignalRequest request);
  void handle(std::unique_ptr<Client> client, protocol::OpenRequest request);
  void handle(std::unique_ptr<Client> client, protocol::InfoRequest request);
  void handle(std::unique_ptr<Client> client, protocol::ShutdownRequest request);
  void handle(std::unique_ptr<Client> client, protocol::EndpointsRequest request);
  void handle(std::unique_ptr<Client> client, protocol::WaitRequest request);
  void handle(std::unique_ptr<Client> client, protocol::RemoveRequest request);
  void handle(std::unique_ptr<Client> client, protocol::StatsRequest request);
  void handle(std::unique_ptr<Client> client, protocol::PauseRequest request);
  void handle(std::unique_ptr<Client> client, protocol::InspectRequest request);
  void handle(std::unique_ptr<Client> client, protocol::RestartRequest request);
  /// Ok when `record` may be restarted, else why not (space/operations/restart.cpp).
  Result<void> check_restartable(const TprocRecord& record) const;
  /// Called by on_tproc_exit when a restart stopped `record` (its exit handled, `waiters` taken):
  /// starts it again with `held_lock`, the bundle lock of the run that ended; true if it runs.
  bool restart_after_exit(TprocRecord& record, UniqueFd held_lock, const std::vector<TprocRecord::ExitWaiter>& waiters);
  /// Starts exited tproc `record` again from its origin with `fds` (RunOrigin::descriptors):
  /// same id, name and log, a new pid. On failure it stays exited as it was.
  Result<void> relaunch(TprocRecord& record, std::vector<UniqueFd> fds);
  /// Records how `record`'s restart went, and answers its client once every target's is known.
  void finish_restart(TprocRecord& record, const Result<void>& started);
  /// The grace period of restart `batch` ran out: SIGKILL to its targets still running.
  void on_restart_grace(uint64_t batch);
  /// Freezes or thaws one running tproc (space/operations/pause.cpp).
  Result<void> set_paused(TprocRecord& record, bool pause);
  void handle(std::unique_ptr<Client> client, protocol::RangesRequest request);
  void handle(std::unique_ptr<Client> client, protocol::WhichRequest request);
  /// The ranges running tproc `record` owns, ascending (space/operations/ranges.cpp); none once it exited.
  std::vector<protocol::OwnedRange> owned_ranges(const TprocRecord& record) const;

  /// Loads, spawns and records a tproc; the caller answers the client.
  Result<TprocRecord*> start_tproc(const protocol::RunRequest& request, std::vector<UniqueFd>& fds);
  /// Fills `record`: maps the program, prepares its launch script and spawns it.
  Result<void> launch(TprocRecord& record, const protocol::RunRequest& request, std::vector<UniqueFd>& fds);
  /// Sends `message` and drops the client.
  void reply(std::unique_ptr<Client> client, const protocol::Message& message, std::span<const int> fds = {});
  void reply_error(std::unique_ptr<Client> client, const Error& error);

  std::string space_;
  SpacePaths paths_;
  DaemonOptions options_;
  std::optional<runtime::BrkGuard> brk_guard_;
  std::optional<loader::HostAuxv> host_auxv_;
  std::optional<PeerNamespaces> namespaces_;  ///< ours, read once: who may start programs (operations/run.cpp)
  loader::InterpreterStock interpreters_;  ///< the next launch's ld.so, mapped between launches
  std::optional<registry::RegistryRegion> registry_;
  std::optional<registry::HeapRegion> heap_;      ///< the space-wide heap: outlives every tproc
  std::optional<registry::Registry> endpoints_;   ///< the endpoint table in registry_
  std::optional<EventLoop> loop_;
  std::optional<ListenerKeeper> keeper_;
  std::unique_ptr<MappingServer> mappings_;  ///< null when the space runs without reclaim
  UniqueFd runtime_dir_;  ///< the checked runtime dir: the lock and socket are made inside it, never by path
  std::optional<PidsCgroups> pids_cgroups_;  ///< made at the first process limit a root daemon enforces
  UniqueFd idle_exit_timer_;                 ///< timerfd: when to look whether the space is still idle
  uint64_t last_busy_ns_ = 0;                ///< CLOCK_MONOTONIC when a tproc ran or a client connected
  UniqueFd pids_timer_;                      ///< timerfd: when to look at ended tprocs' cgroups again
  std::optional<FreezerCgroups> freezer_;    ///< made at the first `tproc pause`
  UniqueFd lock_;
  UniqueFd listener_;
  UniqueFd signals_;
  std::string socket_path_;
  /// The socket's absolute path, as tprocs read it (TPROC_AT_SOCKET points at its characters, so it
  /// never changes while the daemon runs): where tproc_spawn() in a tproc asks for a program.
  std::string published_socket_path_;
  rlimit tproc_open_files_{};  ///< RLIMIT_NOFILE as the daemon started: what each tproc gets
  /// Every RLIMIT_* of the daemon once it has raised its open-files limit, read once (a launch
  /// needs them all, and a tproc with no caller gets them, its stack size and core limit
  /// included): nothing in the daemon sets a limit after that, and a tproc's own setrlimit is its
  /// own process's. An outside prlimit on the daemon is seen at its next start.
  std::array<rlimit64, RLIM_NLIMITS> own_limits_{};
  ExeIdentity own_exe_;  ///< what a tproc's /proc/PID/exe shows until it execs (space/program_exe.hpp)
  std::mutex withdrawals_mutex_;
  std::vector<pid_t> pending_withdrawals_;  ///< owners whose endpoints still wait to be withdrawn
  UniqueFd withdraw_timer_;                 ///< timerfd: when to retry them
  /// Held while publishing for a tproc (from the event loop or the mapping thread), so a tproc that
  /// ends meanwhile is withdrawn after, never before, what was published for it. Lock order: the
  /// mapping server's lock (held when it calls back), then this one.
  std::mutex publications_mutex_;
  std::map<uint64_t, PendingPublication> pending_publications_;  ///< by tproc id
  UniqueFd publish_timer_;                                       ///< timerfd: when to retry them
  std::map<int, std::unique_ptr<Client>> clients_;  ///< connections waiting for a request, by fd
  UniqueFd idle_timer_;                             ///< timerfd: the next waiting connection's deadline
  UniqueFd log_changes_;                            ///< inotify on the log dir (space/daemon_logs.cpp)
  UniqueFd log_timer_;                              ///< timerfd: when to look at it again
  TprocTable tprocs_;
  /// A `tproc restart` under way: its client, waiting for every target to run again.
  struct PendingRestart {
    std::unique_ptr<Client> client;
    std::vector<uint64_t> targets;  ///< the ids, one per target as the request named them
    std::set<uint64_t> left;        ///< those not started again (or failed) yet
    std::map<uint64_t, protocol::RestartOutcome> outcomes;
    UniqueFd grace_timer;  ///< timerfd: when the ones still running get SIGKILL
    uint64_t grace_watch = 0;
  };
  std::map<uint64_t, PendingRestart> restarts_;  ///< by the serial in TprocRecord::restart_batch
  uint64_t next_restart_ = 1;
};

/// The most connections that may wait for a request at once. A new one beyond it takes the place
/// of the one that has waited longest, so a full queue never locks a new client out.
inline constexpr size_t kMaxPendingClients = 1024;
/// How long a connection may stay silent: every client sends its request as soon as it connects,
/// so one that has not within 5 s is not a tproc client, or is stuck; it is dropped, so idle
/// connections cannot hold the queue (issue 14, item 10).
inline constexpr uint64_t kRequestDeadlineNs = 5'000'000'000;
/// How long publishing a tproc's declared endpoints waits for the registry's writer lock the first
/// time (it may run on the mapping thread, which every tproc's mmap waits for), and on each retry
/// (on the event loop), and how often it retries.
inline constexpr int kPublishPatienceMs = 5;
inline constexpr int kPublishRetryPatienceMs = 1;
inline constexpr long kPublishRetryIntervalNs = 20'000'000;
/// The least time between two samples of the detached tprocs' logs: the precision of their times.
inline constexpr long kLogSampleIntervalNs = 5'000'000;
/// How often the daemon looks again at the pids cgroup of a tproc whose children still leave it.
inline constexpr long kPidsCgroupRetryIntervalNs = 50'000'000;

}  // namespace tproc::space
