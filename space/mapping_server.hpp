#pragma once
// MappingServer: performs the mapping calls of every tproc on its behalf and remembers who made
// what, so a tproc's mappings can be given back when it ends (runtime/mapping_filter.hpp).
//
// It runs on a thread of its own, so a tproc's mmap never waits behind the daemon's event loop
// (a spawn, a slow client). One mutex covers the ledger and the listeners; reclaim() takes it
// too, so no tproc can map into a range between the moment it is freed and the moment the ledger
// forgets it.

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "space/address_ledger.hpp"

namespace tproc::space {

/// The daemon's thread that answers mapping-filter notifications.
class MappingServer {
 public:
  static Result<std::unique_ptr<MappingServer>> start();
  ~MappingServer();

  /// Serves the filter listener of tproc `owner`, whose process id is `pid`. A non-zero
  /// `address_space_limit` caps the bytes it may hold mapped (its RLIMIT_AS: the kernel's own
  /// limit would count the whole shared space, and the daemon makes the calls anyway).
  Result<void> adopt(UniqueFd listener, uint64_t owner, pid_t pid, uint64_t address_space_limit = 0);

  /// After `owner` ended: unmaps every range it made and runs `also` (e.g. releasing the
  /// loader's mappings) under the same lock. Its listener stays until no process uses the filter
  /// any more (a forked child may outlive the tproc), answering "continue" meanwhile.
  void reclaim(uint64_t owner, const std::function<void()>& also = {});

  /// Calls `on_mapped` (on the mapping thread, once) with the address where tproc `owner` first
  /// maps offset 0 of the file (`device`, `inode`): where ld.so loaded that executable.
  void watch_image(uint64_t owner, dev_t device, ino_t inode, std::function<void(uint64_t)> on_mapped);

  /// Sets what to call (on the mapping thread) when a tproc is seen to have exec'd out of the space.
  void on_left_space(std::function<void(pid_t)> callback);

  /// How many ranges the ledger holds (for tests and leak checks).
  size_t ledger_size();

 private:
  struct Listener {
    UniqueFd fd;
    uint64_t owner;
    pid_t pid;
    uint64_t address_space_limit;
    bool owner_gone = false;
  };

  MappingServer() = default;
  void serve();
  void answer(Listener& listener);
  /// Whether `owner` may hold `more` bytes on top of what it holds.
  bool within_limit(const Listener& listener, uint64_t more) const;
  void unmap_owned(uint64_t owner);
  /// Runs and drops `owner`'s image watch on the file open at `fd`, now mapped at `address`.
  void notice_image(uint64_t owner, int fd, uint64_t address);

  std::mutex mutex_;
  AddressLedger ledger_;
  std::map<int, Listener> listeners_;  // by fd
  struct ImageWatch {
    dev_t device;
    ino_t inode;
    std::function<void(uint64_t)> on_mapped;
  };
  std::multimap<uint64_t, ImageWatch> image_watches_;  // by owner
  std::function<void(pid_t)> on_left_space_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: stop the thread
  size_t notification_size_ = 0;
  size_t response_size_ = 0;
  std::thread thread_;
};

}  // namespace tproc::space
