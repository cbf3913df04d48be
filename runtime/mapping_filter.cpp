#include "runtime/mapping_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "arch_traits.hpp"

namespace tproc::runtime {
namespace {

/// x32 system calls are x86_64's with this bit set in the number; no architecture has a native
/// call numbered that high, so the filter treats any such number as a foreign ABI everywhere.
constexpr uint32_t kX32SyscallBit = 0x40000000;

/// Where the halves of a 64-bit system call argument sit in seccomp_data.
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
constexpr uint32_t argument_low(int index) { return offsetof(seccomp_data, args) + 8 * index + (kLittleEndian ? 0 : 4); }
constexpr uint32_t argument_high(int index) { return offsetof(seccomp_data, args) + 8 * index + (kLittleEndian ? 4 : 0); }

/// A classic BPF program with forward jumps to labels, resolved at the end.
class Assembler {
 public:
  /// Where a jump goes: the next instruction, or one of the two verdicts at the end.
  enum Label { kNext, kAllow, kNotify };

  void add(sock_filter instruction) { program_.push_back(instruction); }
  /// A conditional jump; kNext falls through, the block label is set with mark_block_end().
  void jump(uint16_t code, uint32_t k, Label taken, Label not_taken, bool to_block_end_taken = false,
            bool to_block_end_not_taken = false) {
    jumps_.push_back({program_.size(), taken, not_taken, to_block_end_taken, to_block_end_not_taken});
    program_.push_back(BPF_JUMP(code, k, 0, 0));
  }
  /// Jumps recorded since the last call that go to "the end of the block" land here.
  void mark_block_end() {
    for (Pending& pending : jumps_)
      if (!pending.resolved_block) {
        pending.block_end = program_.size();
        pending.resolved_block = true;
      }
  }
  std::vector<sock_filter> finish() {
    mark_block_end();
    const size_t allow = program_.size();
    add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    const size_t notify = program_.size();
    add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    for (const Pending& pending : jumps_) {
      auto target = [&](Label label, bool block_end) -> uint8_t {
        const size_t to = block_end ? pending.block_end : label == kAllow ? allow : label == kNotify ? notify : pending.at + 1;
        return static_cast<uint8_t>(to - pending.at - 1);
      };
      program_[pending.at].jt = target(pending.taken, pending.taken_to_block_end);
      program_[pending.at].jf = target(pending.not_taken, pending.not_taken_to_block_end);
    }
    return program_;
  }

 private:
  struct Pending {
    size_t at;
    Label taken, not_taken;
    bool taken_to_block_end, not_taken_to_block_end;
    size_t block_end = 0;
    bool resolved_block = false;
  };
  std::vector<sock_filter> program_;
  std::vector<Pending> jumps_;
};

/// Whether an mprotect call of [address, address + length), length below 4 GiB (checked before),
/// may overlap `piece` (inside one 4 GiB window): falls through to the block's end when it
/// cannot, jumps to notify when it may. A call that starts in the window below may reach into it.
/// Classic BPF has 32-bit arithmetic only: every sum is checked not to wrap first.
void guard_piece(Assembler& code, const GuardedRange& piece) {
  using A = Assembler;
  const auto window = static_cast<uint32_t>(piece.begin >> 32);
  const auto begin = static_cast<uint32_t>(piece.begin);
  const auto last = static_cast<uint32_t>(piece.end - 1);
  // Starting in its window.
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_high(0)));
  code.jump(BPF_JMP | BPF_JEQ | BPF_K, window, A::kNext, A::kNext, false, true);
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_low(0)));
  code.jump(BPF_JMP | BPF_JGT | BPF_K, last, A::kNext, A::kNext, true, false);  // starts above it
  code.jump(BPF_JMP | BPF_JGE | BPF_K, begin, A::kNotify, A::kNext);            // starts inside it
  // Starts below it: it overlaps when length > begin - address.
  code.add(BPF_STMT(BPF_MISC | BPF_TAX, 0));
  code.add(BPF_STMT(BPF_LD | BPF_IMM, begin));
  code.add(BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0));
  code.add(BPF_STMT(BPF_ST, 0));
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_low(1)));
  code.add(BPF_STMT(BPF_MISC | BPF_TAX, 0));
  code.add(BPF_STMT(BPF_LD | BPF_MEM, 0));
  code.jump(BPF_JMP | BPF_JGE | BPF_X, 0, A::kNext, A::kNotify, true, false);
  code.mark_block_end();
  if (window == 0) return;
  // Starting in the window below: it overlaps when length > (2^32 - address) + begin.
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_high(0)));
  code.jump(BPF_JMP | BPF_JEQ | BPF_K, window - 1, A::kNext, A::kNext, false, true);
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_low(0)));
  code.add(BPF_STMT(BPF_ALU | BPF_NEG, 0));  // 2^32 - address: the distance to the window's start
  // 0 stands for 2^32; a distance that adds up to 2^32 or more with `begin` is too far to reach.
  code.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, A::kNext, A::kNext, true, false);
  code.jump(BPF_JMP | BPF_JGT | BPF_K, 0xffffffffU - begin, A::kNext, A::kNext, true, false);
  code.add(BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, begin));
  code.add(BPF_STMT(BPF_ST, 0));
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_low(1)));
  code.add(BPF_STMT(BPF_MISC | BPF_TAX, 0));
  code.add(BPF_STMT(BPF_LD | BPF_MEM, 0));
  code.jump(BPF_JMP | BPF_JGE | BPF_X, 0, A::kNext, A::kNotify, true, false);
  code.mark_block_end();
}

/// The filter's program: see mapping_filter.hpp for what it sends to the daemon.
std::vector<sock_filter> filter_program(const std::vector<GuardedRange>& mprotect_guarded) {
  using A = Assembler;
  Assembler code;
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  code.jump(BPF_JMP | BPF_JEQ | BPF_K, arch::kAuditArch, A::kNext, A::kNotify);  // a foreign ABI
  code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  code.jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, A::kNotify, A::kNext);
  // readlink, readlinkat and execve: how a program finds or re-runs /proc/self/exe
  // (space/program_exe.hpp; rare calls: bench/exe_bench measures them).
#ifdef SYS_readlink
  constexpr uint32_t kReadlink = SYS_readlink;
#else
  constexpr uint32_t kReadlink = SYS_readlinkat;  // aarch64 has only readlinkat: matched twice
#endif
  for (uint32_t nr : {uint32_t(SYS_mmap), uint32_t(SYS_munmap), uint32_t(SYS_mremap), uint32_t(SYS_shmat), uint32_t(SYS_shmdt),
                      uint32_t(SYS_brk), kReadlink, uint32_t(SYS_readlinkat), uint32_t(SYS_execve)})
    code.jump(BPF_JMP | BPF_JEQ | BPF_K, nr, A::kNotify, A::kNext);
  code.jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, A::kNext, A::kAllow);
  if (!mprotect_guarded.empty()) {
    // 4 GiB or more may reach anything (and is rare): the daemon looks.
    code.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, argument_high(1)));
    code.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, A::kNext, A::kNotify);
  }
  for (const GuardedRange& range : mprotect_guarded) {
    // One piece per 4 GiB window the range touches.
    for (uint64_t begin = range.begin; begin < range.end;) {
      const uint64_t window_end = (begin | 0xffffffffULL) + 1;
      const uint64_t end = std::min(range.end, window_end == 0 ? range.end : window_end);
      guard_piece(code, {begin, end});
      begin = end;
    }
  }
  return code.finish();
}

}  // namespace

bool is_native_call(const seccomp_data& call) {
  return call.arch == arch::kAuditArch && !(static_cast<uint32_t>(call.nr) & kX32SyscallBit);
}

void add_mapping_filter(LaunchScript& script, int channel_slot, int listener_slot, bool no_new_privs,
                        const std::vector<GuardedRange>& mprotect_guarded) {
  // Every jump is forward and short: a guarded piece is at most 24 instructions, and the daemon
  // guards a handful (the vDSO and vvar pages, its image, its stack); a jump skips at most 255.
  const std::vector<GuardedRange> guarded(mprotect_guarded.begin(), mprotect_guarded.begin() + std::min<size_t>(mprotect_guarded.size(), 8));
  const std::vector<sock_filter> built = filter_program(guarded);
  const sock_filter* program = built.data();
  const size_t program_bytes = built.size() * sizeof(sock_filter);
  auto* filter = static_cast<sock_filter*>(script.keep(program, program_bytes));
  const sock_fprog header{static_cast<unsigned short>(built.size()), filter};
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
