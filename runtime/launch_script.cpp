#include "runtime/launch_script.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace tproc::runtime {
namespace {

uint64_t raw(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

}  // namespace

void LaunchScript::add(std::string what, long number, std::array<uint64_t, 6> args, int accepted_error,
                       int also_accepted) {
  steps_.push_back(LaunchStep{static_cast<uint64_t>(number), args, static_cast<uint32_t>(accepted_error),
                              static_cast<uint32_t>(also_accepted)});
  descriptions_.push_back(std::move(what));
}

void* LaunchScript::keep(const void* bytes, size_t size) {
  std::vector<uint64_t>& blob = blobs_.emplace_back((size + 7) / 8);
  std::memcpy(blob.data(), bytes, size);
  return blob.data();
}

void LaunchScript::install_fd(int from, int to) {
  add("install fd " + std::to_string(to), SYS_dup3, {static_cast<uint64_t>(from), static_cast<uint64_t>(to), 0, 0, 0, 0});
}

void LaunchScript::close_fds_from(int first) {
  add("close inherited fds", SYS_close_range, {static_cast<uint64_t>(first), UINT_MAX, 0, 0, 0, 0});
}

int LaunchScript::first_free_number(const std::vector<FdPlacement>& placements, int first) {
  for (int number = first;; ++number)
    if (std::none_of(placements.begin(), placements.end(), [number](const FdPlacement& p) { return p.to == number; }))
      return number;
}

void LaunchScript::place_fds(std::vector<FdPlacement> placements) {
  std::sort(placements.begin(), placements.end(), [](const FdPlacement& a, const FdPlacement& b) { return a.to < b.to; });
  const auto targeted = [&](int number) {
    return std::any_of(placements.begin(), placements.end(), [number](const FdPlacement& p) { return p.to == number; });
  };
  const bool overlap =
      std::any_of(placements.begin(), placements.end(), [&](const FdPlacement& p) { return targeted(p.from); });
  if (overlap) {
    // Above every number involved: nothing there is still needed, whatever the child inherited.
    int above = 0;
    for (const FdPlacement& placement : placements) above = std::max({above, placement.from + 1, placement.to + 1});
    for (FdPlacement& placement : placements) {
      add("move fd for " + std::to_string(placement.to), SYS_dup3,
          {static_cast<uint64_t>(placement.from), static_cast<uint64_t>(above), 0, 0, 0, 0});
      placement.from = above++;
    }
  }
  for (const FdPlacement& placement : placements) install_fd(placement.from, placement.to);
  // Close what lies between the placed numbers, then everything above them (the moved copies too).
  int next = 0;
  for (const FdPlacement& placement : placements) {
    if (placement.to > next)
      add("close inherited fds", SYS_close_range, {static_cast<uint64_t>(next), static_cast<uint64_t>(placement.to - 1), 0, 0, 0, 0});
    next = placement.to + 1;
  }
  close_fds_from(next);
}

void LaunchScript::change_directory(const std::string& path) {
  const std::string& kept = strings_.emplace_back(path);
  add("chdir " + path, SYS_chdir, {raw(kept.c_str()), 0, 0, 0, 0, 0});
}

void LaunchScript::set_name(const std::string& name) {
  const std::string& kept = strings_.emplace_back(name.substr(0, 15));
  add("set name", SYS_prctl, {PR_SET_NAME, raw(kept.c_str()), 0, 0, 0, 0});
}

void LaunchScript::set_limit(int resource, rlim_t soft, rlim_t hard) {
  const struct rlimit64& kept = limits_.emplace_back(rlimit64{soft, hard});
  add("set limit " + std::to_string(resource), SYS_prlimit64, {0, static_cast<uint64_t>(resource), raw(&kept), 0, 0, 0});
}

void LaunchScript::new_process_group() { add("setpgid", SYS_setpgid, {0, 0, 0, 0, 0, 0}); }

void LaunchScript::ignore_signal(int signal) {
  // The kernel's struct sigaction on x86_64 and aarch64: handler, flags, restorer, mask.
  const uint64_t ignore[4] = {reinterpret_cast<uint64_t>(SIG_IGN), 0, 0, 0};
  add("ignore signal " + std::to_string(signal), SYS_rt_sigaction,
      {static_cast<uint64_t>(signal), raw(keep(ignore, sizeof(ignore))), 0, 8, 0, 0});
}

void LaunchScript::clear_signal_mask() {
  add("clear signal mask", SYS_rt_sigprocmask, {SIG_SETMASK, raw(&empty_signal_set_), 0, sizeof(empty_signal_set_), 0, 0});
}

void LaunchScript::set_signal_mask(uint64_t blocked) {
  signal_mask_ = blocked;
  add("set signal mask", SYS_rt_sigprocmask, {SIG_SETMASK, raw(&signal_mask_), 0, sizeof(signal_mask_), 0, 0});
}

void LaunchScript::set_umask(uint32_t mask) { add("set umask", SYS_umask, {mask, 0, 0, 0, 0, 0}); }

const LaunchHeader* LaunchScript::header(uint64_t entry) {
  header_ = LaunchHeader{entry, steps_.size(), steps_.data(), &failure_};
  return &header_;
}

std::string LaunchScript::failed_step() const {
  if (!failed() || failure_.step > descriptions_.size()) return "";
  return descriptions_[failure_.step - 1];
}

}  // namespace tproc::runtime
