#include "space/mapping_server.hpp"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/mapping_filter.hpp"

namespace tproc::space {
namespace {

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL  // Linux 6.9: a pidfd for one thread, whose fd table pidfd_getfd reads
#endif

const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));  // 16 or 64 KiB on some aarch64 kernels
uint64_t page_up(uint64_t value) { return (value + kPage - 1) & ~(kPage - 1); }

/// Interrupts a listener thread's blocking receive when it is asked to stop.
constexpr int kInterruptSignal = SIGURG;
/// A listener thread answers one call at a time with a few hundred bytes of frames; the image
/// watches it may run (endpoint publication) need more, but nothing like a default 8 MiB.
constexpr size_t kListenerStack = 256 * 1024;
/// Listener threads with stacks from the reserved region (ThreadStacks); beyond, glibc's stacks.
/// More than the 500 tprocs a space is tested with; 512 MiB of address space, none committed.
constexpr size_t kReservedStacks = 2048;

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS  // Linux 6.6 headers; Debian 12 ships 6.1's
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/// Whether process `pid` still shares the daemon's mm (not a forked child, not exec'd into a new program).
bool shares_memory_with(pid_t daemon, pid_t pid) {
  return ::syscall(SYS_kcmp, daemon, pid, KCMP_VM, 0, 0) == 0;
}

/// Descriptor `fd` of the process (or thread) behind `pidfd`, duplicated into the daemon.
Result<UniqueFd> borrow_fd_from(int pidfd, int fd) {
  UniqueFd borrowed(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0)));
  if (!borrowed) return Error::from_errno("pidfd_getfd");
  return borrowed;
}

/// Descriptor `fd` of thread `tid`, whose descriptor table may be its own (clone without
/// CLONE_FILES), duplicated into the daemon.
Result<UniqueFd> borrow_fd(pid_t tid, int fd) {
  UniqueFd thread(static_cast<int>(::syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (!thread) thread.reset(static_cast<int>(::syscall(SYS_pidfd_open, tid, 0)));
  if (!thread) return Error::from_errno("pidfd_open");
  return borrow_fd_from(thread.get(), fd);
}

}  // namespace

Result<std::unique_ptr<MappingServer>> MappingServer::start(ProtectedRanges protect) {
  // The daemon's own heap lives in the space. glibc gives a thread that finds the main arena busy
  // an arena of its own, a 64 MiB reservation that is never given back: under load the listener
  // threads grew the space by one arena (2 mappings) each, up to 8 per core. One arena for all.
  ::mallopt(M_ARENA_MAX, 1);
  std::unique_ptr<MappingServer> server(new MappingServer());
  seccomp_notif_sizes sizes{};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) return Error::from_errno("seccomp notification sizes");
  server->notification_size_ = std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif));
  server->response_size_ = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp));
  // A handler that does nothing, so the signal interrupts a listener thread's blocking receive
  // (with the default action, ignore, it would not). Process-wide, like every disposition: the
  // daemon owns its process, and tprocs start with default dispositions (CLONE_CLEAR_SIGHAND).
  struct sigaction interrupt {};
  interrupt.sa_handler = [](int) {};
  if (::sigaction(kInterruptSignal, &interrupt, nullptr) < 0) return Error::from_errno("sigaction");
  server->stacks_ = TPROC_TRY(ThreadStacks::reserve(kReservedStacks, kListenerStack));
  protect.add(server->stacks_.begin(), server->stacks_.end(), "the daemon's listener stacks");
  server->mprotect_guarded_ = protect.mprotect_guarded();
  server->protected_ = std::move(protect);
  return server;
}

MappingServer::~MappingServer() {
  // Listeners whose filters are still in use (a forked child outlived its tproc): interrupt their
  // threads until each has seen `stopping` and left. A signal can land just before a thread enters
  // its receive, which would then block: hence the repetition.
  std::unique_lock lock(mutex_);
  for (auto& [_, listener] : listeners_) listener->stopping.store(true, std::memory_order_release);
  while (!listeners_.empty()) {
    for (auto& [_, listener] : listeners_) ::pthread_kill(listener->thread, kInterruptSignal);
    listener_left_.wait_for(lock, std::chrono::milliseconds(1));
  }
  join_finished();
}

void MappingServer::join_finished() {
  for (const Finished& finished : finished_) {
    ::pthread_join(finished.thread, nullptr);
    if (!finished.stack.empty()) stacks_.give_back(finished.stack);
  }
  finished_.clear();
}

Result<void> MappingServer::adopt(UniqueFd channel, uint64_t owner, pid_t pid, uint64_t address_space_limit,
                                  std::function<void(int listener)> on_listener,
                                  std::shared_ptr<const ProgramExe> exe) {
  std::lock_guard lock(mutex_);
  join_finished();
  auto adopted = std::make_unique<Listener>();
  adopted->channel = std::move(channel);
  adopted->on_listener = std::move(on_listener);
  adopted->owner = owner;
  adopted->pid = pid;
  adopted->address_space_limit = address_space_limit;
  adopted->exe = std::move(exe);
  pthread_attr_t attributes;
  ::pthread_attr_init(&attributes);
  adopted->stack = stacks_.take();
  if (adopted->stack.empty())
    ::pthread_attr_setstacksize(&attributes, kListenerStack);
  else
    ::pthread_attr_setstack(&attributes, adopted->stack.data(), adopted->stack.size());
  struct Start {
    MappingServer* server;
    Listener* listener;
  };
  auto* start = new Start{this, adopted.get()};
  const int failed = ::pthread_create(
      &adopted->thread, &attributes,
      [](void* raw) -> void* {
        std::unique_ptr<Start> start(static_cast<Start*>(raw));
        start->server->serve(*start->listener);
        return nullptr;
      },
      start);
  ::pthread_attr_destroy(&attributes);
  if (failed) {
    delete start;
    if (!adopted->stack.empty()) stacks_.give_back(adopted->stack);
    return Error("pthread_create for a mapping listener", failed);
  }
  listeners_.emplace(owner, std::move(adopted));
  return ok();
}

bool MappingServer::receive(Listener& listener) {
  while (!listener.stopping.load(std::memory_order_acquire)) {
    pollfd arrival{listener.channel.get(), POLLIN, 0};
    if (::poll(&arrival, 1, -1) < 0) {
      if (errno == EINTR) continue;  // asked to stop (checked above)
      return false;
    }
    // A child that failed a launch step sent nothing; its exit status reports why.
    auto received = runtime::receive_listener(listener.channel.get());
    listener.channel.reset();
    if (!received) return false;
    // Best effort: before Linux 6.6 this thread is woken like any other, which is only slower.
    // The same kernel change made a blocked receive return when the filter loses its last user.
    const uint64_t sync_wake_up = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    listener.receive_sees_hangup = ::ioctl(received->get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, sync_wake_up) == 0;
    std::lock_guard lock(mutex_);
    listener.fd = std::move(*received);
    if (listener.on_listener) listener.on_listener(listener.fd.get());
    return true;
  }
  return false;
}

void MappingServer::serve(Listener& listener) {
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, kInterruptSignal);
  ::pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr);
  if (!receive(listener)) listener.stopping.store(true, std::memory_order_release);
  std::vector<std::byte> request_bytes(notification_size_), response_bytes(response_size_);
  auto* request = reinterpret_cast<seccomp_notif*>(request_bytes.data());
  auto* response = reinterpret_cast<seccomp_notif_resp*>(response_bytes.data());
  while (!listener.stopping.load(std::memory_order_acquire)) {
    if (!listener.receive_sees_hangup) {
      // Before Linux 6.6 a receive blocks for good once nobody uses the filter (the thread and
      // the listener would leak with every tproc): wait in poll, which reports the hang-up.
      pollfd ready{listener.fd.get(), POLLIN, 0};
      if (::poll(&ready, 1, -1) < 0) {
        if (errno == EINTR) continue;  // asked to stop (checked above)
        break;
      }
      if (!(ready.revents & POLLIN)) break;  // POLLHUP: nobody uses the filter any more
    }
    std::memset(request, 0, notification_size_);
    if (::ioctl(listener.fd.get(), SECCOMP_IOCTL_NOTIF_RECV, request) < 0) {
      if (errno == EINTR) continue;  // asked to stop (checked above)
      // ENOENT: the caller died before we read its call, or nobody uses the filter any more (the
      // kernel then answers at once, every time): this listener is done once it hangs up.
      pollfd hangup{listener.fd.get(), POLLIN, 0};
      if (errno == ENOENT && !(::poll(&hangup, 1, 0) == 1 && (hangup.revents & POLLHUP))) continue;
      break;
    }
    notified_calls_.fetch_add(1, std::memory_order_relaxed);
    std::memset(response, 0, response_size_);
    if (runtime::is_native_call(request->data) && ProgramExe::handles(request->data.nr)) {
      // Not mapping calls: answered outside the lock (an exec waits here until it went through).
      if (listener.exe) {
        listener.exe->answer(listener.fd.get(), listener.pid, *request, *response);
      } else {
        response->id = request->id;
        response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ::ioctl(listener.fd.get(), SECCOMP_IOCTL_NOTIF_SEND, response);
      }
      continue;
    }
    std::lock_guard lock(mutex_);
    answer(listener, *request, *response);
  }
  // Forget the listener (closing it) and leave, to be joined by the next adopt or reclaim;
  // nothing of it may be touched after the erase.
  std::lock_guard lock(mutex_);
  finished_.push_back({listener.thread, listener.stack});
  auto [first, last] = listeners_.equal_range(listener.owner);
  for (auto it = first; it != last; ++it)
    if (it->second.get() == &listener) {
      listeners_.erase(it);
      break;
    }
  listener_left_.notify_all();
}

void MappingServer::notice_image(uint64_t owner, int fd, uint64_t address) {
  auto [first, last] = image_watches_.equal_range(owner);
  if (first == last) return;
  struct stat st {};
  if (::fstat(fd, &st) < 0) return;
  for (auto it = first; it != last; ++it) {
    if (it->second.device != st.st_dev || it->second.inode != st.st_ino) continue;
    auto on_mapped = std::move(it->second.on_mapped);
    image_watches_.erase(it);
    on_mapped(address);
    return;
  }
}

bool MappingServer::within_limit(const Listener& listener, uint64_t more) const {
  if (listener.address_space_limit == 0) return true;
  // The unused part of the break's window is reserved for the tproc, not memory it has taken.
  const uint64_t held = ledger_.bytes_of(listener.owner) - listener.program_break.reserved_unused();
  return held + more <= listener.address_space_limit;
}

void MappingServer::unmap_owned(uint64_t owner) {
  // Unmapping a SysV attachment detaches it, like shmdt.
  for (const auto& [begin, end] : ledger_.take(owner)) ::munmap(reinterpret_cast<void*>(begin), end - begin);
  std::erase_if(attachments_, [owner](const auto& attachment) { return attachment.second.owner == owner; });
}

void MappingServer::reclaim(uint64_t owner, const std::function<void()>& also) {
  std::lock_guard lock(mutex_);
  join_finished();
  unmap_owned(owner);
  image_watches_.erase(owner);
  if (also) also();
  auto [first, last] = listeners_.equal_range(owner);
  for (auto it = first; it != last; ++it) it->second->owner_gone = true;
}

void MappingServer::watch_image(uint64_t owner, dev_t device, ino_t inode, std::function<void(uint64_t)> on_mapped) {
  std::lock_guard lock(mutex_);
  image_watches_.emplace(owner, ImageWatch{device, inode, std::move(on_mapped)});
}

void MappingServer::on_left_space(std::function<void(pid_t)> callback) {
  std::lock_guard lock(mutex_);
  on_left_space_ = std::move(callback);
}

std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> MappingServer::ledger_ranges() {
  std::lock_guard lock(mutex_);
  std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> ranges;
  ranges.reserve(ledger_.size());
  ledger_.for_each([&](uint64_t begin, uint64_t end, uint64_t owner) { ranges.emplace_back(begin, end, owner); });
  return ranges;
}

std::vector<AddressLedger::Range> MappingServer::ranges_of(uint64_t owner) {
  std::lock_guard lock(mutex_);
  return ledger_.ranges_of(owner);
}

size_t MappingServer::ledger_size() {
  std::lock_guard lock(mutex_);
  return ledger_.size();
}

void MappingServer::answer(Listener& listener, const seccomp_notif& request, seccomp_notif_resp& response) {
  response.id = request.id;

  if (listener.owner_gone || !shares_memory_with(daemon_pid_, request.pid)) {
    // A forked child or an exec'd program: its mappings are its own business, in its own mm.
    // If the tproc itself exec'd out of the space, what it mapped here is dead weight: reclaim now.
    if (!listener.owner_gone && static_cast<pid_t>(request.pid) == listener.pid) {
      unmap_owned(listener.owner);
      listener.owner_gone = true;
      if (on_left_space_) on_left_space_(listener.pid);
    }
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ::ioctl(listener.fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &response);
    return;
  }

  const int number = request.data.nr;
  long result = -ENOSYS;  // a foreign ABI's call (int 0x80, x32) in the space: see mapping_filter.hpp
  if (!runtime::is_native_call(request.data)) {
    result = -ENOSYS;
  } else if (number == SYS_mmap) {
    bool answered = true;
    result = perform_mmap(listener, request, answered);
    if (!answered) return;
  } else if (number == SYS_munmap) {
    result = perform_munmap(listener, request);
  } else if (number == SYS_mremap) {
    result = perform_mremap(listener, request);
  } else if (number == SYS_mprotect) {
    result = perform_mprotect(listener, request);
  } else if (number == SYS_shmat) {
    result = perform_shmat(listener, request);
  } else if (number == SYS_shmdt) {
    result = perform_shmdt(request);
  } else if (number == SYS_brk) {
    result = perform_brk(listener, request);
  }
  if (result < 0 && result > -4096) {
    response.error = static_cast<int32_t>(result);
    response.val = 0;
  } else {
    response.error = 0;
    response.val = result;
  }
  ::ioctl(listener.fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &response);
}

long MappingServer::refuse_if_protected(const Listener& listener, const char* call, uint64_t begin, uint64_t end) {
  const ProtectedRanges::Range* hit = protected_.overlapping(begin, end);
  if (!hit) return 0;
  // A program that does this (valgrind unmaps the vDSO) would take the whole space down with it.
  std::fprintf(stderr, "tproc %llu (pid %d): refused %s of 0x%llx-0x%llx: it would change %s, which the space lives on\n",
               static_cast<unsigned long long>(listener.owner), static_cast<int>(listener.pid), call,
               static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end), hit->what.c_str());
  return -EPERM;
}

long MappingServer::perform_mmap(Listener& listener, const seccomp_notif& request, bool& answered) {
  const auto& arg = request.data.args;
  const int flags = static_cast<int>(arg[3]);
  const int fd = static_cast<int>(arg[4]);
  if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
    if (long refused = refuse_if_protected(listener, "mmap", arg[0], arg[0] + page_up(arg[1]))) return refused;
  UniqueFd borrowed;
  if (!(flags & MAP_ANONYMOUS) && fd >= 0) {
    // The main thread (ld.so loading libraries) is the usual caller: its pidfd is kept.
    const bool main_thread = static_cast<pid_t>(request.pid) == listener.pid;
    if (main_thread && !listener.process) listener.process.reset(static_cast<int>(::syscall(SYS_pidfd_open, listener.pid, 0)));
    auto local = main_thread && listener.process ? borrow_fd_from(listener.process.get(), fd) : borrow_fd(request.pid, fd);
    // The fd number was read from another process: make sure that process is still the caller.
    if (::ioctl(listener.fd.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &request.id) < 0) {
      answered = false;
      return 0;
    }
    if (!local) return -(local.error().code() ? local.error().code() : EBADF);
    borrowed = std::move(*local);
  }
  if (!within_limit(listener, page_up(arg[1]))) return -ENOMEM;  // what mmap says when RLIMIT_AS would be exceeded
  void* mapped = ::mmap(reinterpret_cast<void*>(arg[0]), arg[1], static_cast<int>(arg[2]), flags,
                        borrowed ? borrowed.get() : fd, static_cast<off_t>(arg[5]));
  if (mapped == MAP_FAILED) return -errno;
  const uint64_t at = reinterpret_cast<uint64_t>(mapped);
  ledger_.assign(at, at + page_up(arg[1]), listener.owner);
  if (borrowed && arg[5] == 0) notice_image(listener.owner, borrowed.get(), at);
  return static_cast<long>(at);
}

long MappingServer::perform_munmap(const Listener& listener, const seccomp_notif& request) {
  const auto& arg = request.data.args;
  if (long refused = refuse_if_protected(listener, "munmap", arg[0], arg[0] + page_up(arg[1]))) return refused;
  if (::munmap(reinterpret_cast<void*>(arg[0]), arg[1]) < 0) return -errno;
  ledger_.release(arg[0], arg[0] + page_up(arg[1]));
  return 0;
}

long MappingServer::perform_mremap(Listener& listener, const seccomp_notif& request) {
  const auto& arg = request.data.args;
  const int flags = static_cast<int>(arg[3]);
  if (long refused = refuse_if_protected(listener, "mremap", arg[0], arg[0] + page_up(arg[1]))) return refused;
  if (flags & MREMAP_FIXED)
    if (long refused = refuse_if_protected(listener, "mremap", arg[4], arg[4] + page_up(arg[2]))) return refused;
  const uint64_t growth = page_up(arg[2]) > page_up(arg[1]) ? page_up(arg[2]) - page_up(arg[1]) : 0;
  if (!within_limit(listener, growth)) return -ENOMEM;
  void* moved = ::mremap(reinterpret_cast<void*>(arg[0]), arg[1], arg[2], flags, reinterpret_cast<void*>(arg[4]));
  if (moved == MAP_FAILED) return -errno;
  if (!(flags & MREMAP_DONTUNMAP)) ledger_.release(arg[0], arg[0] + page_up(arg[1]));
  const uint64_t at = reinterpret_cast<uint64_t>(moved);
  ledger_.assign(at, at + page_up(arg[2]), listener.owner);
  return static_cast<long>(at);
}

long MappingServer::perform_mprotect(const Listener& listener, const seccomp_notif& request) {
  // Only calls that may touch a guarded range come here (mprotect_guarded()).
  const auto& arg = request.data.args;
  if (long refused = refuse_if_protected(listener, "mprotect", arg[0], arg[0] + page_up(arg[1]))) return refused;
  return ::mprotect(reinterpret_cast<void*>(arg[0]), arg[1], static_cast<int>(arg[2])) < 0 ? -errno : 0;
}

long MappingServer::perform_shmat(Listener& listener, const seccomp_notif& request) {
  const auto& arg = request.data.args;
  const int id = static_cast<int>(arg[0]);
  const int flags = static_cast<int>(arg[2]);
  // The daemon attaches in its own IPC namespace: a tproc in another one would get a stranger's
  // segment of the same id.
  struct stat ours {}, theirs {};
  const std::string their_namespace = "/proc/" + std::to_string(request.pid) + "/ns/ipc";
  if (::stat("/proc/self/ns/ipc", &ours) < 0 || ::stat(their_namespace.c_str(), &theirs) < 0) return -errno;
  if (ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev) return -EINVAL;
  shmid_ds segment{};
  if (::shmctl(id, IPC_STAT, &segment) < 0) return -errno;
  const uint64_t size = page_up(segment.shm_segsz);
  if (arg[1] != 0 && (flags & SHM_REMAP))
    if (long refused = refuse_if_protected(listener, "shmat", arg[1], arg[1] + size)) return refused;
  if (!within_limit(listener, size)) return -ENOMEM;
  void* attached = ::shmat(id, reinterpret_cast<void*>(arg[1]), flags);
  if (attached == reinterpret_cast<void*>(-1)) return -errno;
  const uint64_t at = reinterpret_cast<uint64_t>(attached);
  ledger_.assign(at, at + size, listener.owner);
  attachments_[at] = Attachment{size, listener.owner};
  return static_cast<long>(at);
}

long MappingServer::perform_shmdt(const seccomp_notif& request) {
  const uint64_t at = request.data.args[0];
  if (::shmdt(reinterpret_cast<void*>(at)) < 0) return -errno;
  if (auto found = attachments_.find(at); found != attachments_.end()) {
    ledger_.release(at, at + found->second.size);
    attachments_.erase(found);
  }
  return 0;
}

long MappingServer::perform_brk(Listener& listener, const seccomp_notif& request) {
  return listener.program_break.move(request.data.args[0], ledger_, listener.owner,
                                     [&](uint64_t more) { return within_limit(listener, more); });
}

}  // namespace tproc::space
