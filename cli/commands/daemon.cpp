// tproc daemon: the process that hosts a space. Started by `tproc run` on demand; not for users.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/crash_report.hpp"
#include "common/duration.hpp"
#include "space/daemon.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc daemon SPACE [--ready-fd FD] [--no-reclaim] [--idle-exit DURATION]\n\n"
    "Host SPACE in this process until 'tproc space rm' or SIGTERM. 'tproc run' starts it when\n"
    "needed; with --ready-fd it writes \"ok\" (or the error) to FD once it accepts clients.\n\n"
    "--no-reclaim (or TPROC_RECLAIM=off in the environment of the 'tproc run' that starts the\n"
    "daemon) runs the space without the reclaim mechanism: tprocs' mmap/munmap/mremap are not\n"
    "intercepted, so whatever a program maps itself stays in the space after it ends. Faster\n"
    "mapping calls; runs that need an address_space limit or symbol endpoints of a PIE bundle are\n"
    "refused. 'tproc space ls' shows it.\n\n"
    "--idle-exit DURATION (or TPROC_IDLE_EXIT=DURATION in the environment of the 'tproc run' that\n"
    "starts the daemon; default 10m): the daemon exits once no program has run and no client has\n"
    "connected for DURATION (\"30s\", \"10m\", \"1h\"); the records and logs of exited programs go\n"
    "with it. 0 turns it off: the daemon lives until 'tproc space rm'.\n";

constexpr const char* kDefaultIdleExit = "10m";

/// --idle-exit, else TPROC_IDLE_EXIT, else kDefaultIdleExit.
Result<std::chrono::milliseconds> idle_exit_wanted(const Arguments& arguments) {
  const char* setting = std::getenv("TPROC_IDLE_EXIT");
  const bool from_option = arguments.has("idle-exit");
  const std::string text = from_option ? arguments.value("idle-exit")
                           : setting && *setting ? std::string(setting)
                                                 : std::string(kDefaultIdleExit);
  auto parsed = parse_duration(text);
  if (!parsed)
    return Error::explained((from_option ? "--idle-exit " : "TPROC_IDLE_EXIT=") + text + ": " + parsed.error().describe(),
                            EINVAL);
  return *parsed;
}

/// Whether the daemon reclaims: on unless --no-reclaim or TPROC_RECLAIM=off.
Result<bool> reclaim_wanted(const Arguments& arguments) {
  if (arguments.has("no-reclaim")) return false;
  const char* setting = std::getenv("TPROC_RECLAIM");
  if (setting == nullptr || *setting == '\0' || std::string(setting) == "on") return true;
  if (std::string(setting) == "off") return false;
  return Error::explained("TPROC_RECLAIM=" + std::string(setting) + ": expected on or off", EINVAL);
}

void report_ready(int fd, const std::string& text) {
  if (fd < 0) return;
  (void)!::write(fd, text.data(), text.size());
  ::close(fd);
}

Result<int> daemon(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"ready-fd", 0, true}, {"no-reclaim", 0, false}, {"idle-exit", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (arguments.positional().size() != 1) return Error::explained("daemon needs SPACE", EINVAL);
  const int ready_fd = arguments.has("ready-fd") ? std::atoi(arguments.value("ready-fd").c_str()) : -1;
  if (ready_fd >= 0) ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);

  const std::string& name = arguments.positional()[0];
  auto paths = space::SpacePaths::from_environment();
  auto reclaim = reclaim_wanted(arguments);
  auto idle_exit = idle_exit_wanted(arguments);
  auto daemon = !paths       ? Result<std::unique_ptr<space::Daemon>>(paths.error())
                : !reclaim   ? Result<std::unique_ptr<space::Daemon>>(reclaim.error())
                : !idle_exit ? Result<std::unique_ptr<space::Daemon>>(idle_exit.error())
                             : space::Daemon::create(name, *paths,
                                                     space::DaemonOptions{.reclaim = *reclaim, .idle_exit = *idle_exit});
  if (!daemon) {
    report_ready(ready_fd, daemon.error().describe() + "\n");
    return std::move(daemon).error();
  }
  // From here the daemon's own diagnostics go to its log, not to whoever started it.
  if (ready_fd >= 0) {
    int log = ::open(paths->daemon_log(name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::close(log);
    }
  }
  // Whatever kills the daemon from here on is written in its log.
  install_crash_report(name.c_str());
  report_ready(ready_fd, "ok\n");
  TPROC_TRY((*daemon)->serve());
  return 0;
}

}  // namespace

const Command kDaemonCommand{"daemon", "", kUsage, daemon};

}  // namespace tproc::cli
