// A daemon whose space has nothing left to do goes away (issue 16) instead of holding its
// address space forever: once no tproc runs and no client has connected for DaemonOptions::
// idle_exit, it stops as `tproc space rm` would. The kept records and logs of exited tprocs do not
// keep it: nobody may ever ask for them, and a daemon per forgotten space would otherwise live
// until reboot. Checked on a timer (a tenth of the idle time, between 50 ms and 5 s) rather than
// on every event: the busy paths stay as they are, and an idle daemon wakes a few times a minute.

#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/monotonic_clock.hpp"
#include "space/daemon.hpp"

namespace tproc::space {
namespace {


}  // namespace

Result<void> Daemon::watch_idleness() {
  if (options_.idle_exit.count() <= 0) return ok();
  idle_exit_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!idle_exit_timer_) return Error::from_errno("timerfd_create");
  const auto period = std::clamp(options_.idle_exit / 10, std::chrono::milliseconds(50), std::chrono::milliseconds(5000));
  const long period_ns = static_cast<long>(period.count()) * 1'000'000;
  const itimerspec every{{period_ns / 1'000'000'000, period_ns % 1'000'000'000}, {period_ns / 1'000'000'000, period_ns % 1'000'000'000}};
  if (::timerfd_settime(idle_exit_timer_.get(), 0, &every, nullptr) < 0) return Error::from_errno("timerfd_settime");
  last_busy_ns_ = monotonic_ns();
  loop_->watch(idle_exit_timer_.get(), POLLIN, [this](int) { on_idle_check(); });
  return ok();
}

void Daemon::on_idle_check() {
  uint64_t expirations = 0;
  (void)!::read(idle_exit_timer_.get(), &expirations, sizeof(expirations));
  const uint64_t now = monotonic_ns();
  // A client still waiting to ask, or one being served (an attached run, a wait): its tproc runs.
  if (tprocs_.running_count() > 0 || !clients_.empty()) last_busy_ns_ = now;
  const uint64_t idle_ns = static_cast<uint64_t>(options_.idle_exit.count()) * 1'000'000;
  if (now - last_busy_ns_ >= idle_ns) {
    std::fprintf(stderr, "space '%s': idle for %lld ms (no tproc running): the daemon exits\n", space_.c_str(),
                 static_cast<long long>(options_.idle_exit.count()));
    loop_->stop();
    return;
  }
  loop_->watch(idle_exit_timer_.get(), POLLIN, [this](int) { on_idle_check(); });
}

}  // namespace tproc::space
