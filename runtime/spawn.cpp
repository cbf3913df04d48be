#include "runtime/spawn.hpp"

#include <linux/sched.h>
#include <signal.h>

#include <pthread.h>

namespace tproc::runtime {

Result<Child> spawn_in_space(LaunchScript& script, const EntryState& entry, uint64_t namespaces) {
  constexpr uint64_t kNamespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;
  if ((namespaces & ~kNamespaces) != 0) return Error("spawn: not a namespace flag", EINVAL);
  if (entry.stack_pointer % 16 != 0 || entry.stack_pointer <= entry.stack_base)
    return Error("spawn: misaligned initial stack pointer", EINVAL);

  int pidfd = -1;
  struct clone_args args {};
  args.flags = CLONE_VM | CLONE_PIDFD | CLONE_CLEAR_SIGHAND | namespaces;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  args.stack = entry.stack_base;
  args.stack_size = entry.stack_pointer - entry.stack_base;

  // Block every signal across clone3 so the child cannot take one before its script clears the
  // mask (its handlers are already reset to default by CLONE_CLEAR_SIGHAND).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  long pid = tproc_clone3_launch(&args, sizeof(args), script.header(entry.entry));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  if (pid < 0) return Error("clone3", static_cast<int>(-pid));
  return Child(static_cast<pid_t>(pid), UniqueFd(pidfd));
}

}  // namespace tproc::runtime
