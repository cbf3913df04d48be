// The daemon's sampling of detached tprocs' logs (space/log_files.hpp): inotify says a log file
// was written to, and the daemon notes the new sizes with the time in the file's index. After
// each look it waits kLogSampleIntervalNs before the next, so a program that writes without pause
// costs the daemon a wake-up per interval, not one per write.

#include <poll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <set>

#include "space/daemon.hpp"

namespace tproc::space {

Result<void> Daemon::watch_logs() {
  log_changes_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!log_changes_) return Error::from_errno("inotify_init1");
  const std::string dir = paths_.log_dir(space_);
  if (::inotify_add_watch(log_changes_.get(), dir.c_str(), IN_MODIFY | IN_ONLYDIR | IN_DONT_FOLLOW) < 0)
    return Error::from_errno("watch " + dir);
  log_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!log_timer_) return Error::from_errno("timerfd_create");
  return ok();
}

void Daemon::on_logs_written() {
  alignas(inotify_event) char events[8192];
  std::set<uint64_t> written;
  bool overflowed = false;
  for (;;) {
    const ssize_t got = ::read(log_changes_.get(), events, sizeof(events));
    if (got <= 0) break;
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) overflowed = true;
      if (event->len == 0) continue;
      const std::string_view name(event->name);
      if (name.ends_with(".index")) continue;  // our own writes
      if (auto id = LogFiles::id_of(name)) written.insert(*id);
    }
  }
  for (const auto& [id, record] : tprocs_.records())
    if (record->log_sampler && (overflowed || written.count(id))) record->log_sampler->sample();
  const itimerspec later{{0, 0}, {0, kLogSampleIntervalNs}};
  ::timerfd_settime(log_timer_.get(), 0, &later, nullptr);
  loop_->watch(log_timer_.get(), POLLIN, [this](int) {
    uint64_t expirations;
    (void)!::read(log_timer_.get(), &expirations, sizeof(expirations));
    loop_->watch(log_changes_.get(), POLLIN, [this](int) { on_logs_written(); });
  });
}

}  // namespace tproc::space
