#pragma once
// TprocTable: the daemon's records of the programs in its space.
//
// Invariant: a record owns everything the daemon holds for its tproc — the loader's mappings, the
// launch script the child read, the pidfd, the client connection that waits for the exit status —
// so erasing the record releases all of it.
//
// Retention of exited records, and of the logs that go with them (issue 14 item 11):
// - attached tprocs: erased when they exit (their `tproc run` got the status);
// - detached ones keep a small record (status, log) so `ps -a` and `logs` work after exit: the
//   `Retention::plain` most recent exited ones; an older record goes, and its log file with it;
// - supervised ones (compose, RunRequest::supervised): the supervisor asks for the status once the
//   pidfd says the tproc ended, so a record must outlive any number of siblings' exits. Each stays
//   until a newer supervised tproc of the same name (the next run of that replica) has exited too:
//   the latest finished run of every replica keeps its status and log, a crash-looping service
//   keeps two logs, not one per restart. `Retention::supervised` bounds them all the same.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mapping.hpp"
#include "common/result.hpp"
#include "loader/program_loader.hpp"
#include "protocol/connection.hpp"
#include "protocol/messages.hpp"
#include "runtime/child.hpp"
#include "runtime/launch_script.hpp"
#include "space/log_files.hpp"
#include "space/log_sampler.hpp"
#include "space/run_origin.hpp"

namespace tproc::space {

/// What the daemon holds for one tproc.
struct TprocRecord {
  uint64_t id = 0;
  std::string name;
  std::string command;  ///< argv joined, for ps
  std::vector<std::string> argv;  ///< as run gave them, for inspect
  std::vector<std::string> app_argv;  ///< what the program sees, when argv runs it through ld.so (a bundle)
  std::vector<std::string> env;
  std::string cwd;
  int64_t started = 0;  ///< Unix time
  bool detached = false;
  bool supervised = false;  ///< kept by the supervised rule (see the file's comment)
  bool pids_cgroup = false; ///< limited by a pids cgroup of its own (space/pids_cgroup.hpp)
  bool paused = false;      ///< frozen by `tproc pause` (space/freezer_cgroups.hpp)
  pid_t pid = 0;
  std::optional<LogFiles> log;          ///< detached tprocs only
  std::optional<LogSampler> log_sampler;  ///< while a detached tproc runs
  std::string bundle;    ///< the bundle's digest, if it came from one
  std::string bundle_name;  ///< and its name
  std::vector<std::string> labels;  ///< KEY=VALUE from `run --label`
  bool auto_remove = false;         ///< `run --rm`, or `rm -f` of a running one: erased once it exits
  /// How it was started, to start it again (`tproc restart`): detached, unsupervised ones only.
  std::unique_ptr<RunOrigin> origin;
  uint32_t restarts = 0;       ///< how often `tproc restart` started it again
  uint64_t restart_batch = 0;  ///< the restart that is stopping it to start it again (0: none)

  /// A client waiting for this tproc's exit: `tproc wait` (answered Exited) or `rm -f` (answered
  /// Done once the record is gone).
  struct ExitWaiter {
    protocol::Connection connection;
    bool removes = false;
  };
  std::vector<ExitWaiter> exit_waiters;

  std::optional<loader::LoadedProgram> program;
  std::unique_ptr<runtime::LaunchScript> script;
  std::optional<runtime::Child> child;
  std::optional<protocol::Connection> client;  ///< the attached `tproc run` waiting for the status
  UniqueFd in_use_lock;                        ///< keeps its bundle marked in use in the cache
  Mapping fixed_image;                         ///< the range a non-PIE executable needs, held for ld.so
  uint64_t client_watch = 0;
  std::optional<runtime::ExitStatus> status;

  bool running() const { return !status.has_value(); }
  /// Removes its log files, if it has any.
  void remove_log();
  protocol::TprocInfo info() const;
};

/// At most this many clients wait for one tproc's exit (`tproc wait`, `rm -f`): each holds a
/// connection until then.
inline constexpr size_t kMaxExitWaiters = 64;

/// How many exited detached records a space keeps (see the file's comment).
struct Retention {
  size_t plain = 64;          ///< of tprocs run with `tproc run -d`, the most recent
  size_t supervised = 4096;   ///< at most, of supervised ones (more than the replicas of any app)
};

/// The records of one space, by id.
class TprocTable {
 public:
  /// Adds a record and gives it the next id.
  TprocRecord& add(std::unique_ptr<TprocRecord> record);
  void erase(uint64_t id) { records_.erase(id); }
  TprocRecord* get(uint64_t id);

  /// Finds a tproc by id or by name (running ones first); errors name the space and the target.
  Result<TprocRecord*> find(const std::string& target, const std::string& space);

  /// Whether a running tproc already uses `name`.
  bool name_in_use(const std::string& name) const;

  /// The tproc that holds `name`, running or kept after its exit (docker's rule: a name stays
  /// taken until its record is removed), or null.
  const TprocRecord* name_holder(const std::string& name) const;

  /// Ok when a new tproc may be called `name` (empty: it gets a default name): a valid name
  /// (space/tproc_name.hpp) that no record holds. A `supervised` one (compose's next run of a
  /// replica) only needs no running tproc to have it: its earlier runs keep it.
  Result<void> check_new_name(const std::string& name, bool supervised, const std::string& space) const;

  /// Erases a record and removes its log file.
  void remove(uint64_t id);

  /// Names the running tproc whose executable overlaps [begin, end), e.g. "tproc 12 (python3)".
  std::optional<std::string> holder_of(uint64_t begin, uint64_t end) const;

  size_t running_count() const;
  const std::map<uint64_t, std::unique_ptr<TprocRecord>>& records() const { return records_; }

  /// Applies `retention` now that detached tproc `exited` has exited: drops the records (and
  /// removes the logs) it no longer keeps.
  void retire(uint64_t exited, const Retention& retention);

 private:
  std::map<uint64_t, std::unique_ptr<TprocRecord>> records_;
  uint64_t next_id_ = 1;
};

}  // namespace tproc::space
