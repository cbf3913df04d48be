#pragma once
// LaunchScript: the system calls a new tproc makes on itself between clone3 and its entry point.
//
// Invariant: the child side runs before any libc exists in the new program and shares the
// daemon's memory, so it is a few lines of assembly per architecture (runtime/arch/*/launch.S)
// that only reads this script: it makes each step's system call in order, stops at the first
// failure (recording which step and the errno in `failure`, then exit_group(127)), and otherwise
// jumps to `entry` with the stack pointer at the program's argc. Everything the steps point at
// (paths, rlimits, signal sets) lives in the script, which the daemon keeps until the tproc exits.

#include <sys/resource.h>
#include <sys/syscall.h>

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace tproc::runtime {

/// One system call the child makes: number, six raw arguments, and up to two errnos that still
/// count as success (0: none). The layout is read by assembly.
struct LaunchStep {
  uint64_t number;
  std::array<uint64_t, 6> args;
  uint32_t accepted_error;
  uint32_t also_accepted_error;
};
static_assert(sizeof(LaunchStep) == 64);

/// Where the child reports a failed step. Written by the child, read by the daemon after reaping.
struct LaunchFailure {
  uint32_t step;   ///< index of the failed step + 1; 0 means no failure
  uint32_t error;  ///< the errno of the failed call
};

/// The header the assembly reads; field offsets are fixed (see launch.S).
struct LaunchHeader {
  uint64_t entry;
  uint64_t step_count;
  const LaunchStep* steps;
  LaunchFailure* failure;
};
static_assert(sizeof(LaunchHeader) == 32);

/// A descriptor of the daemon's that the child must have at number `to`.
struct FdPlacement {
  int from;
  int to;
};

/// The steps a new tproc runs on itself, built by the daemon, kept alive until the tproc exits.
class LaunchScript {
 public:
  LaunchScript() = default;
  LaunchScript(const LaunchScript&) = delete;
  LaunchScript& operator=(const LaunchScript&) = delete;

  /// Makes `from` the child's descriptor `to` (dup3).
  void install_fd(int from, int to);
  /// Closes every descriptor from `first` up (close_range).
  void close_fds_from(int first);
  /// Gives the child exactly these descriptors: each `from` at its `to` (not close-on-exec), every
  /// other descriptor closed. A source may carry a number another placement targets: then every
  /// source first moves above all of them, so no step overwrites one still to be placed.
  void place_fds(std::vector<FdPlacement> placements);
  /// The lowest number from `first` up that no placement targets.
  static int first_free_number(const std::vector<FdPlacement>& placements, int first);
  /// Changes the working directory.
  void change_directory(const std::string& path);
  /// Sets the thread name shown by ps/top (truncated to 15 bytes by the kernel).
  void set_name(const std::string& name);
  /// Sets both limits of `resource` (prlimit64 on itself).
  void set_limit(int resource, rlim_t soft, rlim_t hard);
  /// Puts the tproc in a process group of its own, so signals can reach its children too.
  void new_process_group();
  /// Unblocks every signal (the daemon's mask is inherited across clone3).
  void clear_signal_mask();
  /// Sets the signal mask to `blocked` (bit N-1: signal N), as an exec keeps the caller's.
  void set_signal_mask(uint64_t blocked);
  /// Sets the file mode creation mask.
  void set_umask(uint32_t mask);
  /// Sets `signal`'s disposition to SIG_IGN, as an exec would have inherited it from the caller.
  void ignore_signal(int signal);
  /// Appends an arbitrary step described as `what`; its pointers must stay valid as long as the
  /// script (keep() stores data in the script). `accepted_error` and `also_accepted` are errnos
  /// that are not a failure: the script goes on as after a success.
  void add(std::string what, long number, std::array<uint64_t, 6> args, int accepted_error = 0, int also_accepted = 0);
  /// Copies `bytes` into the script and returns where they live for as long as the script does.
  void* keep(const void* bytes, size_t size);

  /// Finalises the header the assembly reads. `entry` is the address the child jumps to.
  const LaunchHeader* header(uint64_t entry);

  /// The failure the child recorded, if any: which step's name and the errno.
  bool failed() const { return failure_.step != 0; }
  int failed_errno() const { return static_cast<int>(failure_.error); }
  /// A readable description of the failed step ("chdir /nope"), or "" when none failed.
  std::string failed_step() const;

 private:
  std::vector<LaunchStep> steps_;
  std::vector<std::string> descriptions_;
  std::deque<std::string> strings_;        // deque: pointers into it stay valid as it grows
  std::deque<struct rlimit64> limits_;
  std::deque<std::vector<uint64_t>> blobs_;
  uint64_t empty_signal_set_ = 0;
  uint64_t signal_mask_ = 0;
  LaunchHeader header_{};
  LaunchFailure failure_{};
};

/// Starts a tproc: clone3 with `args` in the daemon's own address space, the child running `header`.
/// Returns the child's pid to the parent, or -errno. Implemented in runtime/arch/<arch>/launch.S.
extern "C" long tproc_clone3_launch(void* clone_args, unsigned long size, const LaunchHeader* header);

}  // namespace tproc::runtime
