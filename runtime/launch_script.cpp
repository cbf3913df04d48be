#include "runtime/launch_script.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <climits>

namespace tproc::runtime {
namespace {

uint64_t raw(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

}  // namespace

void LaunchScript::add(long number, std::array<uint64_t, 6> args) {
  steps_.push_back(LaunchStep{static_cast<uint64_t>(number), args});
  descriptions_.push_back("syscall " + std::to_string(number));
}

void LaunchScript::install_fd(int from, int to) {
  add(SYS_dup3, {static_cast<uint64_t>(from), static_cast<uint64_t>(to), 0, 0, 0, 0});
  descriptions_.back() = "install fd " + std::to_string(to);
}

void LaunchScript::close_fds_from(int first) {
  add(SYS_close_range, {static_cast<uint64_t>(first), UINT_MAX, 0, 0, 0, 0});
  descriptions_.back() = "close inherited fds";
}

void LaunchScript::change_directory(const std::string& path) {
  const std::string& kept = strings_.emplace_back(path);
  add(SYS_chdir, {raw(kept.c_str()), 0, 0, 0, 0, 0});
  descriptions_.back() = "chdir " + path;
}

void LaunchScript::set_name(const std::string& name) {
  const std::string& kept = strings_.emplace_back(name.substr(0, 15));
  add(SYS_prctl, {PR_SET_NAME, raw(kept.c_str()), 0, 0, 0, 0});
  descriptions_.back() = "set name";
}

void LaunchScript::set_limit(int resource, rlim_t soft, rlim_t hard) {
  const struct rlimit64& kept = limits_.emplace_back(rlimit64{soft, hard});
  add(SYS_prlimit64, {0, static_cast<uint64_t>(resource), raw(&kept), 0, 0, 0});
  descriptions_.back() = "set limit " + std::to_string(resource);
}

void LaunchScript::new_process_group() {
  add(SYS_setpgid, {0, 0, 0, 0, 0, 0});
  descriptions_.back() = "setpgid";
}

void LaunchScript::clear_signal_mask() {
  add(SYS_rt_sigprocmask, {SIG_SETMASK, raw(&empty_signal_set_), 0, sizeof(empty_signal_set_), 0, 0});
  descriptions_.back() = "clear signal mask";
}

const LaunchHeader* LaunchScript::header(uint64_t entry) {
  header_ = LaunchHeader{entry, steps_.size(), steps_.data(), &failure_};
  return &header_;
}

std::string LaunchScript::failed_step() const {
  if (!failed() || failure_.step > descriptions_.size()) return "";
  return descriptions_[failure_.step - 1];
}

}  // namespace tproc::runtime
