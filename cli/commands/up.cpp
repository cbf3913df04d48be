// tproc up: start an app described by a compose file — build what needs building, start every
// service in dependency order under the app's supervisor, and (attached) follow their output.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "cli/app_orphans.hpp"
#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/executables.hpp"
#include "cli/log_printer.hpp"
#include "cli/log_reader.hpp"
#include "cli/space_client.hpp"
#include "compose/app_builder.hpp"
#include "compose/app_state.hpp"
#include "compose/supervisor_link.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc up [OPTIONS]\n\n"
    "Start the app a compose file describes: build the bundles that need building, then start every\n"
    "service in dependency order (independent ones together) under the app's supervisor, which\n"
    "restarts them by their policies. Attached, print their output prefixed by name until every\n"
    "service has ended; Ctrl-C stops the app as 'tproc down' does. Run again on a running app, it\n"
    "replaces only the services whose definition or bundle changed.\n\n"
    "Options:\n"
    "  -f, --file FILE  the compose file (default: ./app.yaml)\n"
    "  -d, --detach     return once every service has started (or could not), with status 1 if one\n"
    "                   could not; see 'tproc ps SPACE' and 'tproc logs SPACE SERVICE'\n";

/// A tproc whose log an attached `up` prints.
struct Follower {
  LogReader reader;
  size_t source;  ///< its index in the printer
};

/// Prints what the logs hold now, each line after its tproc's prefix; `final`: unfinished last
/// lines too.
void drain(std::map<uint64_t, Follower>& followers, LogPrinter& printer, bool final) {
  for (auto& [id, follower] : followers) {
    for (;;) {
      auto lines = follower.reader.next(final);
      if (!lines || lines->empty()) break;
      for (const LogLine& line : *lines) printer.print(follower.source, line);
    }
  }
  printer.flush();
}

/// The prefix of a replica's lines: docker compose's "web-1", as `logs` has it, from the replica's
/// tproc name (compose/supervisor_replicas.cpp: "web" for a service's only one, "web.2" for the
/// second of several).
std::string prefix_of(const std::string& service, const std::string& replica) {
  if (replica.size() > service.size() + 1 && replica.compare(0, service.size() + 1, service + ".") == 0)
    return service + "-" + replica.substr(service.size() + 1);
  return service + "-1";
}

Result<int> follow(const space::SpacePaths& paths, const compose::AppSpec& spec, compose::SupervisorLink& link) {
  LogPrinter printer(false, LogPrinter::color_wanted());
  size_t width = 0;
  for (const compose::ServiceSpec& service : spec.services)
    width = std::max(width, service.service.name.size() + 1 + std::to_string(std::max<uint32_t>(service.service.replicas, 1)).size());
  printer.pad_to(width);

  sigset_t stopping;
  sigemptyset(&stopping);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stopping, signal);
  ::sigprocmask(SIG_BLOCK, &stopping, nullptr);
  UniqueFd signals(::signalfd(-1, &stopping, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return Error::from_errno("signalfd");
  // A log file has no "more data" event for poll; inotify tells when one is written to. Without
  // inotify (no instances left), fall back to reading every 200 ms.
  UniqueFd changes(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));

  std::map<uint64_t, Follower> followers;
  bool interrupted = false;
  for (;;) {
    pollfd waiting[] = {{link.fd(), POLLIN, 0}, {signals.get(), POLLIN, 0}, {changes.get(), POLLIN, 0}};
    if (::poll(waiting, changes ? 3 : 2, changes ? -1 : 200) < 0 && errno != EINTR) return Error::from_errno("poll");
    if (changes && (waiting[2].revents & POLLIN)) {
      char events[4096];
      while (::read(changes.get(), events, sizeof(events)) > 0) {
      }
    }
    if (waiting[1].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
      }
      if (!interrupted) {
        interrupted = true;
        std::fprintf(stderr, "tproc up: stopping %s (as 'tproc down %s')\n", spec.name.c_str(), spec.space.c_str());
        TPROC_TRY(link.send({"down"}));
      }
    }
    bool open = true;
    if (waiting[0].revents) open = TPROC_TRY(link.fill(false));
    while (auto record = link.next()) {
      const std::string& kind = (*record)[0];
      if (kind == "say" && record->size() >= 2) {
        std::fprintf(stderr, "tproc up: %s\n", (*record)[1].c_str());
      } else if (kind == "tproc" && record->size() >= 4) {
        const uint64_t id = std::strtoull((*record)[2].c_str(), nullptr, 10);
        if (followers.count(id)) continue;
        auto reply = ask_space(paths, spec.space, protocol::OpenRequest{(*record)[2]});
        if (!reply) continue;  // already pruned by the daemon: nothing to show
        auto opened = expect<protocol::Opened>(*reply);
        if (!opened || !opened->has_log || reply->fds.size() < 3) continue;
        const size_t logs = reply->fds.size() - 3;  // stdout, stderr, index: after the pidfd, if any
        for (size_t stream = logs; changes && stream < logs + 2; ++stream)
          ::inotify_add_watch(changes.get(), ("/proc/self/fd/" + std::to_string(reply->fds[stream].get())).c_str(), IN_MODIFY);
        followers.emplace(id, Follower{LogReader(std::move(reply->fds[logs]), std::move(reply->fds[logs + 1]), std::move(reply->fds[logs + 2])),
                                       printer.add_source(prefix_of((*record)[1], (*record)[3]))});
      } else if (kind == "finished" || kind == "down") {
        drain(followers, printer, true);
        const int status = record->size() >= 2 ? std::atoi((*record)[1].c_str()) : 1;
        // Interrupted: 130 as a shell reports Ctrl-C, unless a service had failed.
        return interrupted && status == 0 ? 130 : status;
      }
    }
    drain(followers, printer, false);
    if (!open) {
      drain(followers, printer, true);
      return Error::explained("the supervisor of space '" + spec.space + "' went away", ECONNRESET);
    }
  }
}

Result<int> up(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"file", 'f', true}, {"detach", 'd', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!arguments.positional().empty()) return Error::explained("up takes no arguments (see 'tproc up --help')", EINVAL);
  const std::string file = arguments.value("file", "app.yaml");
  const compose::ComposeManifest manifest = TPROC_TRY(compose::ComposeManifest::load(file));

  const space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const compose::AppPaths app(paths.runtime_dir(), paths.home(), manifest.space());
  TPROC_TRY(app.prepare());
  if (auto running = compose::AppState::load(app.state()); running && running->name != manifest.name())
    return Error::explained("space '" + manifest.space() + "' runs the app '" + running->name + "' (" + running->compose_file +
                                "): one app per space; stop it first with 'tproc down " + manifest.space() + "'",
                            EEXIST);

  const compose::AppSpec spec = TPROC_TRY(compose::resolve_app(manifest, file, app, paths.home() + "/bundles", [](const std::string& line) {
    std::fprintf(stderr, "tproc up: %s\n", line.c_str());
  }));
  TPROC_TRY(connect_or_start_space(paths, spec.space, NewSpace::kWanted));  // the supervisor only connects: start it here

  auto link = compose::SupervisorLink::connect(app);
  if (!link && (link.error().code() == ENOENT || link.error().code() == ECONNREFUSED)) {
    // An app without a supervisor (it was killed) may have left tprocs running under the names
    // its services need: stop them first.
    if (auto orphaned = compose::AppState::load(app.state())) stop_orphaned_app(paths, app, *orphaned, "tproc up");
    TPROC_TRY(compose::start_supervisor(TPROC_TRY(bundle_tool_executable()), app));
    link = compose::SupervisorLink::connect(app);
  }
  if (!link) return std::move(link).error();
  TPROC_TRY(spec.save(app.spec()));  // what the supervisor reads when it is told "up"

  const bool detach = arguments.has("detach");
  TPROC_TRY(link->send(detach ? compose::Record{"up"} : compose::Record{"up", "follow"}));
  if (!detach) return follow(paths, spec, *link);
  for (;;) {
    auto record = TPROC_TRY(link->receive());
    if (!record) return Error::explained("the supervisor of space '" + spec.space + "' went away (see " + app.supervisor_log() + ")", ECONNRESET);
    if ((*record)[0] == "say" && record->size() >= 2) std::fprintf(stderr, "tproc up: %s\n", (*record)[1].c_str());
    if ((*record)[0] == "settled") return record->size() >= 2 ? std::atoi((*record)[1].c_str()) : 1;
  }
}

}  // namespace

const Command kUpCommand{"up", bundle_tool_summary("up"), kUsage, up};

}  // namespace tproc::cli
