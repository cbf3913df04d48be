#pragma once
// MappingServer: performs the mapping calls of every tproc on its behalf and remembers who made
// what, so a tproc's mappings can be given back when it ends (runtime/mapping_filter.hpp).
//
// Each listener has a thread of its own, blocked in SECCOMP_IOCTL_NOTIF_RECV, so a tproc's mmap
// never waits behind the daemon's event loop (a spawn, a slow client) nor behind another tproc.
// With SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) the kernel runs that thread on the caller's
// CPU and the caller again on the thread's CPU when it answers: a mapping call costs two cheap
// switches instead of two cross-CPU wake-ups, the dearest thing on a small VM. A thread ends by
// itself once no process uses its filter (the tproc and any child it forked have gone).
// One mutex covers the ledger and the listeners; reclaim() takes it too, so no tproc can map into
// a range between the moment it is freed and the moment the ledger forgets it.
//
// What the space lives on (space/protected_ranges.hpp) is out of every tproc's reach: a call that
// would unmap, remap, map over or re-protect it fails with EPERM, and the tproc lives on. SysV
// attachments (shmat/shmdt) are made by the daemon like mappings and reclaimed with them; each
// tproc's brk moves a program break of its own (space/program_break.hpp); calls of a foreign ABI
// fail with ENOSYS in a tproc (runtime/mapping_filter.hpp).

#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <tuple>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "space/address_ledger.hpp"
#include "space/program_break.hpp"
#include "space/program_exe.hpp"
#include "space/protected_ranges.hpp"
#include "space/thread_stacks.hpp"

namespace tproc::space {

/// The daemon's thread that answers mapping-filter notifications.
class MappingServer {
 public:
  /// Starts serving; `protect` names what no tproc may touch (its own listener stacks are added).
  static Result<std::unique_ptr<MappingServer>> start(ProtectedRanges protect);

  /// The ranges whose mprotect calls the filter must send here (runtime::add_mapping_filter).
  const std::vector<runtime::GuardedRange>& mprotect_guarded() const { return mprotect_guarded_; }
  ~MappingServer();

  /// Serves the filter listener of tproc `owner`, whose process id is `pid`, once the child
  /// sends it on `channel` (runtime/mapping_filter.hpp): the listener's own thread waits for it,
  /// so the child's first mapping call does not wait for the daemon's event loop. `on_listener`
  /// runs (under the server's lock) with the listener as it arrives, before any call is
  /// answered. A non-zero `address_space_limit` caps the bytes it may hold mapped (its
  /// RLIMIT_AS: the kernel's own limit would count the whole shared space, and the daemon makes
  /// the calls anyway). `exe` answers the calls that would name the daemon as the program's own
  /// executable (space/program_exe.hpp); without it they run untouched.
  Result<void> adopt(UniqueFd channel, uint64_t owner, pid_t pid, uint64_t address_space_limit,
                     std::function<void(int listener)> on_listener, std::shared_ptr<const ProgramExe> exe = nullptr);

  /// After `owner` ended: unmaps every range it made and runs `also` (e.g. releasing the
  /// loader's mappings) under the same lock. Its listener stays until no process uses the filter
  /// any more (a forked child may outlive the tproc), answering "continue" meanwhile.
  void reclaim(uint64_t owner, const std::function<void()>& also = {});

  /// Calls `on_mapped` (on the mapping thread, once) with the address where tproc `owner` first
  /// maps offset 0 of the file (`device`, `inode`): where ld.so loaded that executable.
  void watch_image(uint64_t owner, dev_t device, ino_t inode, std::function<void(uint64_t)> on_mapped);

  /// Sets what to call (on the mapping thread) when a tproc is seen to have exec'd out of the space.
  void on_left_space(std::function<void(pid_t)> callback);

  /// A copy of the ledger: every range a tproc mapped, with its owner, in address order.
  std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> ledger_ranges();

  /// How many ranges the ledger holds (for tests and leak checks).
  size_t ledger_size();
  /// How many calls the filters of all tprocs have sent here since start (each one a round trip
  /// between a tproc and the daemon: `tproc stats` reports it, launch_bench counts it per launch).
  uint64_t notified_calls() const { return notified_calls_.load(std::memory_order_relaxed); }
  /// The ranges tproc `owner` made and still holds, adjacent ones merged.
  std::vector<AddressLedger::Range> ranges_of(uint64_t owner);

 private:
  struct Listener {
    UniqueFd channel;  // until the listener arrives on it
    std::function<void(int)> on_listener;
    UniqueFd fd;
    uint64_t owner;
    pid_t pid;
    UniqueFd process;  // a pidfd of `pid`, opened at its first file mapping (mapping thread only)
    uint64_t address_space_limit;
    std::shared_ptr<const ProgramExe> exe;  // immutable once adopted: used without the mutex
    ProgramBreak program_break;             // guarded by mutex_
    bool owner_gone = false;  // guarded by mutex_
    /// Whether a blocked SECCOMP_IOCTL_NOTIF_RECV returns once nobody uses the filter (Linux 6.6,
    /// with the synchronous wake-up); before, only poll reports that hang-up.
    bool receive_sees_hangup = false;
    pthread_t thread{};
    std::span<std::byte> stack;  // from stacks_, or empty: glibc's own
    std::atomic<bool> stopping{false};
  };
  /// A listener's thread that has ended but is not joined yet.
  struct Finished {
    pthread_t thread;
    std::span<std::byte> stack;
  };

  MappingServer() = default;
  /// A listener's thread: waits for the listener, receives its notifications and answers each
  /// under the mutex; at the end it removes the listener.
  void serve(Listener& listener);
  /// Waits for the listener on its channel; false if the child ended first or we are stopping.
  bool receive(Listener& listener);
  void answer(Listener& listener, const seccomp_notif& request, seccomp_notif_resp& response);
  /// Joins the threads that have ended and returns their stacks (mutex_ held).
  void join_finished();
  /// Whether `owner` may hold `more` bytes on top of what it holds.
  bool within_limit(const Listener& listener, uint64_t more) const;
  void unmap_owned(uint64_t owner);
  /// The answers to each kind of call from a tproc (mutex_ held): a result or -errno.
  long perform_mmap(Listener& listener, const seccomp_notif& request, bool& answered);
  long perform_munmap(const Listener& listener, const seccomp_notif& request);
  long perform_mremap(Listener& listener, const seccomp_notif& request);
  long perform_mprotect(const Listener& listener, const seccomp_notif& request);
  long perform_shmat(Listener& listener, const seccomp_notif& request);
  long perform_shmdt(const seccomp_notif& request);
  long perform_brk(Listener& listener, const seccomp_notif& request);
  /// -EPERM, with a line in the daemon's log, if [begin, end) touches a protected range.
  long refuse_if_protected(const Listener& listener, const char* call, uint64_t begin, uint64_t end);
  /// Runs and drops `owner`'s image watch on the file open at `fd`, now mapped at `address`.
  void notice_image(uint64_t owner, int fd, uint64_t address);

  std::mutex mutex_;
  AddressLedger ledger_;
  ProtectedRanges protected_;
  std::vector<runtime::GuardedRange> mprotect_guarded_;
  struct Attachment {
    uint64_t size;
    uint64_t owner;
  };
  std::map<uint64_t, Attachment> attachments_;  // SysV segments attached for tprocs, by address
  // By owner. A restarted tproc keeps its id (`tproc restart`), so its new run's listener may
  // be adopted while the ended run's is still being served (a forked child keeps the filter).
  std::multimap<uint64_t, std::unique_ptr<Listener>> listeners_;
  std::condition_variable listener_left_;
  std::vector<Finished> finished_;
  ThreadStacks stacks_;
  struct ImageWatch {
    dev_t device;
    ino_t inode;
    std::function<void(uint64_t)> on_mapped;
  };
  std::multimap<uint64_t, ImageWatch> image_watches_;  // by owner
  std::function<void(pid_t)> on_left_space_;
  const pid_t daemon_pid_ = ::getpid();
  size_t notification_size_ = 0;
  size_t response_size_ = 0;
  std::atomic<uint64_t> notified_calls_{0};  // bumped by every listener thread: no lock of its own
};

}  // namespace tproc::space
