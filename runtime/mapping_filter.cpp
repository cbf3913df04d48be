#include "runtime/mapping_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>

#include "arch_traits.hpp"

namespace tproc::runtime {
void add_mapping_filter(LaunchScript& script, int channel_slot, int listener_slot, bool no_new_privs) {
  // Native calls of this architecture to mmap, munmap or mremap notify the daemon; so do
  // readlink, readlinkat and execve, through which a program finds or re-runs /proc/self/exe
  // (space/program_exe.hpp; rare calls: bench/exe_bench measures them). All else runs.
#ifdef SYS_readlink
  constexpr uint32_t kReadlink = SYS_readlink;
#else
  constexpr uint32_t kReadlink = SYS_readlinkat;  // aarch64 has only readlinkat: matched twice
#endif
  const sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch::kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 6, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 5, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mremap, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kReadlink, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_readlinkat, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
  };
  auto* filter = static_cast<sock_filter*>(script.keep(program, sizeof(program)));
  const sock_fprog header{static_cast<unsigned short>(std::size(program)), filter};
  const auto* fprog = static_cast<const sock_fprog*>(script.keep(&header, sizeof(header)));

  // The message that carries the listener: one byte of payload and SCM_RIGHTS for listener_slot.
  const char payload = 'L';
  auto* byte = static_cast<char*>(script.keep(&payload, 1));
  const iovec io{byte, 1};
  auto* kept_io = static_cast<iovec*>(script.keep(&io, sizeof(io)));
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(int))]{};
  msghdr message{};
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &listener_slot, sizeof(int));
  void* kept_control = script.keep(control, sizeof(control));
  message.msg_iov = kept_io;
  message.msg_iovlen = 1;
  message.msg_control = kept_control;
  const auto* kept_message = static_cast<const msghdr*>(script.keep(&message, sizeof(message)));

  auto raw = [](const void* pointer) { return reinterpret_cast<uint64_t>(pointer); };
  const uint64_t channel = static_cast<uint64_t>(channel_slot), listener = static_cast<uint64_t>(listener_slot);
  if (no_new_privs) script.add("set no_new_privs", SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0});
  script.add("install the mapping filter", SYS_seccomp,
             {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, raw(fprog), 0, 0, 0});
  script.add("send the mapping filter listener", SYS_sendmsg, {channel, raw(kept_message), MSG_NOSIGNAL, 0, 0, 0});
  script.add("close the listener", SYS_close, {listener, 0, 0, 0, 0, 0});
  script.add("close the listener channel", SYS_close, {channel, 0, 0, 0, 0, 0});
}

Result<UniqueFd> receive_listener(int channel) {
  char byte;
  iovec io{&byte, 1};
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(int))]{};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got = ::recvmsg(channel, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (got < 0) return Error::from_errno("receive the mapping filter listener");
  cmsghdr* cmsg = CMSG_FIRSTHDR(&message);
  if (got == 0 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS) return Error("the new tproc ended before it sent its listener", ECHILD);
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return UniqueFd(fd);
}

}  // namespace tproc::runtime
