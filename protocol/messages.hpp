#pragma once
// The messages between the tproc CLI and a space daemon.
//
// One SOCK_SEQPACKET message per value: a header (magic, version, type) and the fields of one
// struct below, encoded by protocol/wire.hpp. File descriptors travel beside a message as
// SCM_RIGHTS; each message documents the ones it carries. Requests go client → daemon, replies
// daemon → client. Every field list is declared once, in `fields()`, and serves both directions.

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "protocol/message_header.hpp"

namespace tproc::protocol {

/// A resource limit for a new tproc (RLIMIT_* and its soft = hard value).
struct RunLimit {
  int32_t resource = 0;
  uint64_t value = 0;
  template <class A> void fields(A& a) { a(resource, value); }
};

/// An endpoint a bundle's manifest declares, published by the runtime for the tproc.
struct DeclaredEndpoint {
  std::string name;
  std::string symbol;  ///< an exported symbol of the executable whose address is published; empty: none
  std::string kind;    ///< the type name its kind tag is made from; empty: none
  bool ready_at_start = false;  ///< ready at once, instead of when the app calls tproc_ready()
  template <class A> void fields(A& a) { a(name, symbol, kind, ready_at_start); }
};

/// One of the caller's resource limits, both values, as getrlimit reports them.
struct CallerLimit {
  int32_t resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
  template <class A> void fields(A& a) { a(resource, soft, hard); }
};

/// The process attributes a program run directly would inherit from the caller across exec.
struct CallerAttributes {
  bool given = false;  ///< false: the request has none (a supervisor's), the daemon's own apply
  uint32_t umask = 022;
  int32_t nice = 0;
  uint64_t blocked_signals = 0;     ///< bit N-1 set: signal N is blocked (the caller's mask, 1-64)
  std::vector<CallerLimit> limits;  ///< every RLIMIT_* the caller has
  template <class A> void fields(A& a) { a(given, umask, nice, blocked_signals, limits); }
};

/// Who a program runs as instead of the daemon's user (`run -u`; tproc-oci's process.user), and
/// the capabilities it keeps: bit N of each set is capability N. Only a root daemon honours it.
struct RunUser {
  bool given = false;  ///< false: the daemon's own user, groups and capabilities
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  ///< the supplementary groups, exactly (setgroups)
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  bool no_new_privs = true;  ///< PR_SET_NO_NEW_PRIVS: nothing it execs gains privileges
  template <class A> void fields(A& a) {
    a(given, uid, gid, groups, bounding, effective, permitted, inheritable, ambient, no_new_privs);
  }
};

/// One mount of an OCI container (config.json `mounts`), as given: the daemon checks it.
struct ContainerMount {
  std::string destination;           ///< absolute, inside the root filesystem
  std::string type;                  ///< proc, tmpfs, sysfs, devpts, mqueue, bind
  std::string source;                ///< a bind's host path (absolute); else the file system's source name
  std::vector<std::string> options;  ///< runc's mount options (ro, nosuid, mode=755, rprivate, ...)
  template <class A> void fields(A& a) { a(destination, type, source, options); }
};

/// What an OCI container (tproc-oci) asks beyond `run`'s isolation options. Each runtime-spec
/// setting tproc-oci honours in the daemon has its field here. Not `given` (tproc run): none, and
/// the program gets tproc's own /proc in its root filesystem.
struct ContainerSetup {
  bool given = false;
  std::vector<ContainerMount> mounts;  ///< in config.json's order, replacing the default /proc
  std::string ipc;                     ///< "" (the daemon's), "new", "ns:PATH" (join it)
  template <class A> void fields(A& a) { a(given, mounts, ipc); }
};

/// Start a program. fds: [program], then [stdin, stdout, stderr] unless detached, then
/// [in-use lock] if `holds_lock`, then [executable] if `passes_executable`, then one for each of
/// `inherited_fds`.
struct RunRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string execfn;  ///< the path as the user named it
  std::string cwd;
  std::string name;    ///< `run --name`, unique in the space; empty: `default_name`, else the program's file name
  bool detach = false;
  uint64_t ignored_signals = 0;  ///< bit N-1 set: signal N (1-64) is ignored by the caller, as a direct run would inherit
  std::vector<RunLimit> limits;  ///< RLIMIT_AS is enforced by the daemon on the tproc's mappings
  bool core_dumps = false;       ///< the soft core limit raised to the hard one (else the caller's, or 0)
  std::string bundle;            ///< the bundle's digest, when the program comes from one
  bool holds_lock = false;       ///< an fd whose lock marks the bundle in use for the tproc's life
  /// An fd of the executable that the program (its ld.so) will map: the daemon reserves its range
  /// if it is not PIE, and finds where it lands to publish `endpoints` by symbol.
  bool passes_executable = false;
  std::vector<DeclaredEndpoint> endpoints;
  /// The numbers of the caller's descriptors beyond stdio that an exec would keep (not
  /// close-on-exec), ascending: the program gets each at the same number, same open file.
  std::vector<int32_t> inherited_fds;
  CallerAttributes caller;
  /// Which of the program's fds 0-2 (a pty's slave the client relays) becomes its controlling
  /// terminal, in a session of its own; -1: none (it stays in a process group of its own).
  int32_t controlling_terminal = -1;
  /// Started by a supervisor (compose), which asks for the status once the tproc's pidfd says it
  /// exited: its exited record stays until a newer supervised tproc of the same name has exited
  /// too, instead of among the last plain ones (space/tproc_table.hpp).
  bool supervised = false;
  /// `run --rm`: the record goes as soon as the program exits (a detached one's log with it).
  bool auto_remove = false;
  std::vector<std::string> labels;  ///< `--label KEY=VALUE`, as given: shown by ps, filtered on
  /// The name when `name` is empty (a bundle's own): unlike `name`, not held unique in the space.
  std::string default_name;
  /// Isolation (tproc run --rootfs/--hostname/--net/--pid). An absolute directory that becomes
  /// the program's "/" in a mount namespace of its own (pivot_root); the program's interpreter
  /// is loaded from inside it. Empty: the daemon's root.
  std::string rootfs;
  std::string hostname;         ///< non-empty: its own UTS namespace with this hostname
  std::string network;          ///< "" (the daemon's), "none" (a new, empty one), "ns:PATH" (join it)
  bool private_pids = false;    ///< its own PID namespace, where it is pid 1
  std::string command;      ///< what ps shows as its command; empty: argv joined (a bundle's hides ld.so)
  std::string bundle_name;  ///< the bundle's name, when the program comes from one
  /// The argv the program itself sees when `argv` runs it through a loader (a bundle's ld.so
  /// --argv0 ...): its argv[0], then the arguments given after the bundle. Empty: `argv` is it.
  std::vector<std::string> app_argv;
  RunUser user;  ///< `run -u USER[:GROUP]`: not given, the daemon's user
  ContainerSetup container;  ///< tproc-oci's; needs `rootfs`
  /// A container's own seccomp filter (tproc-oci's linux.seccomp, compiled by the client): the
  /// bytes of a classic BPF program (struct sock_filter[]) that the tproc installs on itself as
  /// its last launch step, after tproc's mapping filter, so both apply. Empty: none.
  std::string seccomp_filter;
  uint32_t seccomp_flags = 0;  ///< SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW for it; no others
  /// Cgroup directories (absolute, at most 16) the tproc writes itself into, as its first launch
  /// step: a container's linux.cgroupsPath, one per cgroup v1 hierarchy (runtime/cgroup_join.hpp).
  std::vector<std::string> cgroups;
  template <class A> void fields(A& a) {
    a(argv, env, execfn, cwd, name, detach, ignored_signals, limits, core_dumps, bundle, holds_lock, passes_executable,
      endpoints, inherited_fds, caller, controlling_terminal, supervised, auto_remove, labels, default_name, rootfs,
      hostname, network, private_pids, command, bundle_name, app_argv, user, container, seccomp_filter, seccomp_flags, cgroups);
  }
};

/// List the tprocs of the space; `all` includes exited detached ones.
struct ListRequest {
  bool all = false;
  template <class A> void fields(A& a) { a(all); }
};

/// Send `signal` to the tproc named by id or name.
struct SignalRequest {
  std::string target;
  int32_t signal = 0;
  template <class A> void fields(A& a) { a(target, signal); }
};

/// Ask for a tproc's pidfd (while it runs) and its log files (if detached): reply Opened.
struct OpenRequest {
  std::string target;
  template <class A> void fields(A& a) { a(target); }
};

/// Ask about the space itself: reply SpaceInfo.
struct InfoRequest {
  template <class A> void fields(A&) {}
};

/// Stop the daemon. Refused while tprocs run.
struct ShutdownRequest {
  template <class A> void fields(A&) {}
};

/// List the endpoints in the space's registry: reply EndpointList.
struct EndpointsRequest {
  template <class A> void fields(A&) {}
};

/// Wait until the tproc named by id or name has exited (at once if it has): reply Exited.
struct WaitRequest {
  std::string target;
  template <class A> void fields(A& a) { a(target); }
};

/// Remove the record of an exited tproc, and its log: reply Done. `force`: a running one is
/// killed (SIGKILL) first, and the reply comes once it is gone.
struct RemoveRequest {
  std::string target;
  bool force = false;
  template <class A> void fields(A& a) { a(target, force); }
};

/// The program started. fds: [pidfd].
struct Started {
  uint64_t id = 0;
  int32_t pid = 0;
  uint64_t launch_ns = 0;  ///< the daemon's part: request received to child started
  template <class A> void fields(A& a) { a(id, pid, launch_ns); }
};

/// The program ended.
struct Exited {
  bool killed = false;  ///< by a signal; `value` is then the signal number
  int32_t value = 0;
  bool core_dumped = false;
  template <class A> void fields(A& a) { a(killed, value, core_dumped); }
};

/// The request failed: a one-line message and the errno behind it (0 if none).
struct Failure {
  std::string message;
  int32_t code = 0;
  template <class A> void fields(A& a) { a(message, code); }
};

/// One tproc as `ps` shows it.
struct TprocInfo {
  uint64_t id = 0;
  std::string name;
  int32_t pid = 0;
  bool running = false;
  int32_t exit_status = 0;  ///< shell-style status once exited
  int64_t started = 0;      ///< Unix time in seconds
  std::string command;
  bool detached = false;
  std::string bundle;  ///< the bundle's digest, if it came from one
  std::vector<std::string> labels;  ///< KEY=VALUE, as `run --label` gave them
  std::string bundle_name;          ///< the bundle's name, if it came from one
  bool paused = false;              ///< frozen by `tproc pause` (space/freezer_cgroups.hpp)
  template <class A> void fields(A& a) {
    a(id, name, pid, running, exit_status, started, command, detached, bundle, labels, bundle_name, paused);
  }
};

/// Reply to ListRequest.
struct TprocList {
  std::vector<TprocInfo> tprocs;
  template <class A> void fields(A& a) { a(tprocs); }
};

/// Reply to OpenRequest. fds: [pidfd] if running, then, if `has_log`, its stdout, stderr and index
/// files (space/log_files.hpp).
struct Opened {
  TprocInfo tproc;
  bool has_log = false;
  template <class A> void fields(A& a) { a(tproc, has_log); }
};

/// Reply to InfoRequest.
struct SpaceInfo {
  std::string name;
  int32_t daemon_pid = 0;
  uint32_t running = 0;
  bool reclaim = true;  ///< false: the daemon runs without the reclaim mechanism (`tproc daemon --no-reclaim`)
  uint64_t rss = 0;     ///< bytes of the space resident in memory (the daemon's mm: every tproc's)
  template <class A> void fields(A& a) { a(name, daemon_pid, running, reclaim, rss); }
};

/// One registry entry as `tproc registry ls` shows it.
struct EndpointInfo {
  std::string name;
  uint64_t address = 0;
  uint64_t kind = 0;
  int32_t owner_pid = 0;
  uint64_t owner_id = 0;   ///< the owning tproc's id, 0 when the daemon does not know it
  std::string owner_name;  ///< and its name
  std::string state;       ///< "declared" or "ready"
  template <class A> void fields(A& a) { a(name, address, kind, owner_pid, owner_id, owner_name, state); }
};

/// Reply to EndpointsRequest.
struct EndpointList {
  std::vector<EndpointInfo> endpoints;
  template <class A> void fields(A& a) { a(endpoints); }
};

/// A request that needs no other answer succeeded.
struct Done {
  template <class A> void fields(A&) {}
};

/// Ask what each running tproc uses and what the space itself holds: reply SpaceStats.
struct StatsRequest {
  template <class A> void fields(A&) {}
};

/// What one running tproc uses, as `tproc stats` shows it. Memory is what it owns in the space:
/// the ranges the daemon mapped for it and those it mapped itself (the address ledger).
struct TprocStats {
  uint64_t id = 0;
  std::string name;
  int32_t pid = 0;
  bool paused = false;
  uint64_t cpu_ns = 0;   ///< user + system time of its threads so far
  uint32_t threads = 0;
  uint32_t fds = 0;
  uint64_t rss = 0;      ///< bytes of its ranges resident in memory (smaps Rss)
  uint64_t mapped = 0;   ///< bytes of its ranges mapped
  template <class A> void fields(A& a) { a(id, name, pid, paused, cpu_ns, threads, fds, rss, mapped); }
};

/// Reply to StatsRequest. rss == the tprocs' rss + registry_rss + heap_rss + daemon_rss, each
/// range counted once, from one reading of the daemon's smaps.
struct SpaceStats {
  uint64_t sampled_ns = 0;  ///< CLOCK_MONOTONIC when sampled: CPU % is a difference of two samples
  int32_t daemon_pid = 0;
  uint64_t rss = 0;         ///< the whole space (smaps_rollup)
  uint64_t registry_rss = 0;
  uint64_t heap_rss = 0;    ///< the space heap
  uint64_t daemon_rss = 0;  ///< the rest: the daemon itself, and what no tproc owns
  uint64_t daemon_cpu_ns = 0;
  /// Calls the tprocs' mapping filters sent the daemon since it started (0 without reclaim).
  uint64_t notified_calls = 0;
  /// Context switches (voluntary + involuntary) of the daemon's threads, ended ones included
  /// (getrusage RUSAGE_SELF: its per-tproc listener threads end with their tprocs).
  uint64_t daemon_context_switches = 0;
  /// Context switches of the tprocs that have ended and been reaped (RUSAGE_CHILDREN).
  uint64_t ended_tprocs_context_switches = 0;
  std::vector<TprocStats> tprocs;
  template <class A> void fields(A& a) {
    a(sampled_ns, daemon_pid, rss, registry_rss, heap_rss, daemon_rss, daemon_cpu_ns, notified_calls, daemon_context_switches,
      ended_tprocs_context_switches, tprocs);
  }
};

/// Freeze (`pause`) or thaw every thread of the tprocs named by id or name, or of every running
/// tproc when `targets` is empty: reply Done.
struct PauseRequest {
  std::vector<std::string> targets;
  bool pause = true;  ///< false: unpause
  template <class A> void fields(A& a) { a(targets, pause); }
};

/// Ask which ranges of the space a tproc owns (the daemon's ownership ledger and what its loader
/// mapped for it): reply OwnedRanges.
struct RangesRequest {
  std::string target;  ///< an id or a name, as for OpenRequest
  template <class A> void fields(A& a) { a(target); }
};

/// One page-aligned [begin, end) range a tproc owns.
struct OwnedRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  /// Who made it: "mapped" (the tproc's own mmap, mremap or shmat, ld.so's included), or what the
  /// daemon's loader mapped for it: "executable", "interpreter", "stack".
  std::string origin;
  template <class A> void fields(A& a) { a(begin, end, origin); }
};

/// Reply to RangesRequest: ascending, non-overlapping ranges; none once the tproc has exited
/// (they were reclaimed) or when the space runs without reclaim (no ledger: loader ranges only).
struct OwnedRanges {
  TprocInfo tproc;
  std::vector<OwnedRange> ranges;
  uint64_t executable_bias = 0;   ///< where the loader put the executable, minus its link address
  uint64_t interpreter_bias = 0;  ///< the same for its ld.so; 0: none (static)
  bool ledger = true;             ///< false: no ownership ledger (`tproc daemon --no-reclaim`)
  template <class A> void fields(A& a) { a(tproc, ranges, executable_bias, interpreter_bias, ledger); }
};

/// Ask for one tproc, by id or name, as `tproc inspect SPACE ID|NAME` shows it: reply TprocDetail.
struct InspectRequest {
  std::string target;
  template <class A> void fields(A& a) { a(target); }
};

/// Reply to InspectRequest: what ps shows, and how the program was started.
struct TprocDetail {
  TprocInfo tproc;
  std::vector<std::string> argv;      ///< the command line the daemon ran (a bundle's: its ld.so's)
  std::vector<std::string> env;
  std::string cwd;
  std::vector<std::string> app_argv;  ///< the argv the program sees (RunRequest::app_argv); empty: argv
  uint32_t restarts = 0;              ///< how often `tproc restart` started it again
  template <class A> void fields(A& a) { a(tproc, argv, env, cwd, app_argv, restarts); }
};

/// Ask what the daemon knows of one address of the space, for `tproc which`: reply AddressHolder.
struct WhichRequest {
  uint64_t address = 0;
  template <class A> void fields(A& a) { a(address); }
};

/// Reply to WhichRequest: whose range holds the address, and the space-heap block around it. What
/// is mapped there (file, offset, symbols) the client reads itself from /proc/DAEMON_PID/maps and
/// the file: the daemon parses no file for a client.
struct AddressHolder {
  int32_t daemon_pid = 0;
  /// "tproc": a range a running tproc owns (`tproc`, `origin`); or the space's own memory:
  /// "registry", "heap" (the space heap's reservation), "loader" (an ld.so the daemon mapped
  /// ahead of the next launch), "daemon" (anything else: the daemon's own memory, a range no
  /// tproc owns, or nothing mapped at all).
  std::string holder;
  TprocInfo tproc;
  std::string origin;  ///< as OwnedRange::origin, or "image hold" (the range a non-PIE executable needs)
  uint64_t begin = 0;  ///< the holder's range around the address; both 0 for "daemon"
  uint64_t end = 0;
  bool ledger = true;  ///< false: the space runs without reclaim, so what tprocs map is not recorded
  /// Inside the space heap's chunks: the block around the address, if it is in one.
  bool in_block = false;
  uint64_t block_begin = 0;
  uint64_t block_size = 0;     ///< its usable size (its size class, or the whole large run)
  bool block_large = false;
  int32_t allocator_pid = 0;   ///< the pid of the tproc that allocated it; 0: the heap cannot tell
  TprocInfo allocator;         ///< the daemon's record of that pid (id 0: none), running ones first
  template <class A> void fields(A& a) {
    a(daemon_pid, holder, tproc, origin, begin, end, ledger, in_block, block_begin, block_size, block_large, allocator_pid,
      allocator);
  }
};

/// Stop each detached tproc named by id or name as `tproc stop` does (SIGTERM, `grace_ms`, then
/// SIGKILL; a paused one thawed after its SIGTERM), or take it as it is when it has exited, and
/// start it again from the request it was started with, keeping its id, name and log: reply
/// Restarted once every one runs again or failed to. Every target is checked before any is
/// touched: one that cannot be restarted fails the whole request.
struct RestartRequest {
  std::vector<std::string> targets;
  uint64_t grace_ms = 10'000;
  template <class A> void fields(A& a) { a(targets, grace_ms); }
};

/// How one target of a RestartRequest went: started again (`pid`), or why not (`message`).
struct RestartOutcome {
  uint64_t id = 0;
  int32_t pid = 0;      ///< its new pid; 0 when it failed
  std::string message;  ///< empty when it started again
  int32_t code = 0;
  template <class A> void fields(A& a) { a(id, pid, message, code); }
};

/// Reply to RestartRequest: one outcome per target, in the order given.
struct Restarted {
  std::vector<RestartOutcome> outcomes;
  template <class A> void fields(A& a) { a(outcomes); }
};

/// Any message; its index in this variant is its type on the wire.
using Message = std::variant<RunRequest, ListRequest, SignalRequest, OpenRequest, InfoRequest, ShutdownRequest,
                             EndpointsRequest, Started, Exited, Failure, TprocList, Opened, SpaceInfo,
                             EndpointList, Done, WaitRequest, RemoveRequest, StatsRequest, SpaceStats, PauseRequest,
                             RangesRequest, OwnedRanges, InspectRequest, TprocDetail, WhichRequest, AddressHolder,
                             RestartRequest, Restarted>;

/// Encodes `message` with its header.
std::vector<std::byte> encode(const Message& message);

/// Decodes one message, refusing anything malformed: a bad header, an unknown type, a field that
/// runs past the end, trailing bytes, or a string or list longer than the message could hold.
Result<Message> decode(std::span<const std::byte> bytes);

/// The name of a message's type, for error text ("unexpected reply Exited").
const char* type_name(const Message& message);

}  // namespace tproc::protocol
