#include "space/listener_keeper.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

namespace tproc::space {
namespace {

/// What the daemon sends on a clean shutdown, so the keeper can tell it from a killed daemon.
constexpr char kGoodbye = 'G';

/// One orphan-to-be: its filter's listener and its pidfd.
struct Kept {
  UniqueFd listener;
  UniqueFd pidfd;
};

/// Answers every pending notification on `listener` with "continue".
void let_through(int listener, std::vector<std::byte>& request, std::vector<std::byte>& response) {
  auto* notification = reinterpret_cast<seccomp_notif*>(request.data());
  auto* answer = reinterpret_cast<seccomp_notif_resp*>(response.data());
  std::memset(request.data(), 0, request.size());
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notification) < 0) return;
  std::memset(response.data(), 0, response.size());
  answer->id = notification->id;
  answer->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, answer);
}

/// The keeper's whole life. Never returns.
[[noreturn]] void keep_listeners(int channel, int daemon) {
  ::prctl(PR_SET_NAME, "tproc-keeper");
  seccomp_notif_sizes sizes{};
  ::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
  std::vector<std::byte> request(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<std::byte> response(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));

  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  UniqueFd signals(::signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK));
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  for (int fd : {channel, daemon, signals.get()}) {
    epoll_event event{EPOLLIN, {.fd = fd}};
    ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &event);
  }
  std::map<int, Kept> kept;  // by listener fd
  bool orphaned = false;

  for (;;) {
    epoll_event events[32];
    const int ready = ::epoll_wait(epoll.get(), events, 32, -1);
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == channel) {
        // A listener and a pidfd from the daemon, or its end of the channel closing: a clean exit.
        char byte;
        iovec io{&byte, 1};
        alignas(cmsghdr) unsigned char control[CMSG_SPACE(2 * sizeof(int))]{};
        msghdr message{};
        message.msg_iov = &io;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof(control);
        const ssize_t got = ::recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
        cmsghdr* cmsg = got > 0 ? CMSG_FIRSTHDR(&message) : nullptr;
        if (got > 0 && byte == kGoodbye) ::_exit(0);  // a clean shutdown: nothing left to keep
        if (got <= 0) {
          // The channel closed without a goodbye: the daemon was killed. Its pidfd says so too,
          // a moment later; that event switches us to answering.
          ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, channel, nullptr);
          continue;
        }
        if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(2 * sizeof(int))) continue;
        int fds[2];
        std::memcpy(fds, CMSG_DATA(cmsg), sizeof(fds));
        // Only the listener's end matters while the daemon lives: events 0 reports just EPOLLHUP.
        epoll_event event{0, {.fd = fds[0]}};
        ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fds[0], &event);
        kept.emplace(fds[0], Kept{UniqueFd(fds[0]), UniqueFd(fds[1])});
      } else if (fd == daemon) {
        // The daemon died: from now on, the keeper answers for it.
        orphaned = true;
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, daemon, nullptr);
        for (auto& [listener, _] : kept) {
          epoll_event event{EPOLLIN, {.fd = listener}};
          ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, listener, &event);
        }
      } else if (fd == signals.get()) {
        // `tproc space rm -f` on a space whose daemon died: end the orphans, then go.
        signalfd_siginfo info;
        while (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
        }
        if (!orphaned) continue;
        for (auto& [_, tproc] : kept) ::syscall(SYS_pidfd_send_signal, tproc.pidfd.get(), SIGKILL, nullptr, 0);
        ::_exit(0);
      } else {
        auto found = kept.find(fd);
        if (found == kept.end()) continue;
        if (events[i].events & EPOLLIN) let_through(fd, request, response);
        if (events[i].events & EPOLLHUP) {  // nobody uses this filter any more
          ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
          kept.erase(found);
        }
      }
    }
    if (orphaned && kept.empty()) ::_exit(0);
  }
}

}  // namespace

Result<ListenerKeeper> ListenerKeeper::start(int lock_fd) {
  int channel[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0) return Error::from_errno("socketpair");
  UniqueFd ours(channel[0]), theirs(channel[1]);
  UniqueFd daemon(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
  if (!daemon) return Error::from_errno("pidfd_open");

  sigset_t term, previous;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, &previous);  // the keeper takes SIGTERM on its signalfd
  const pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork the listener keeper");
  if (pid == 0) {
    // Keep stdio (the daemon's log), the lock, the channel and the daemon's pidfd; drop the rest
    // (the listening socket above all: clients of a dead daemon must be refused, not left waiting).
    const int channel_fd = ::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 1000);
    const int daemon_fd = ::fcntl(daemon.get(), F_DUPFD_CLOEXEC, 1001);
    const int held_lock = ::fcntl(lock_fd, F_DUPFD_CLOEXEC, 1002);
    ::close_range(3, 999, 0);
    ::close_range(1003, ~0U, 0);
    (void)held_lock;
    keep_listeners(channel_fd, daemon_fd);
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  UniqueFd keeper(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  return ListenerKeeper(pid, std::move(ours), std::move(keeper));
}

ListenerKeeper::~ListenerKeeper() {
  if (pid_ <= 0) return;
  (void)!::send(channel_.get(), &kGoodbye, 1, MSG_NOSIGNAL);
  channel_.reset();
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<void> ListenerKeeper::keep(int listener, int pidfd) {
  char byte = 'K';
  iovec io{&byte, 1};
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(2 * sizeof(int))]{};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
  const int fds[2] = {listener, pidfd};
  std::memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
  if (::sendmsg(channel_.get(), &message, MSG_NOSIGNAL) < 0) return Error::from_errno("hand a listener to the keeper");
  return ok();
}

}  // namespace tproc::space
