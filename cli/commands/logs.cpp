// tproc logs: the output of a detached tproc, or of every replica of an app, kept by its daemon.

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>

#include "cli/app_log_targets.hpp"
#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/log_printer.hpp"
#include "cli/log_reader.hpp"
#include "cli/log_time.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc logs [OPTIONS] SPACE [ID|NAME|SERVICE]\n\n"
    "Print the output of a detached tproc: what it wrote to stdout on stdout, what it wrote to stderr\n"
    "on stderr. A SERVICE of the app started by 'tproc up' in SPACE names its latest tproc, or all of\n"
    "its replicas; SPACE alone, every replica of every service of its app, each line after the\n"
    "replica's name ('web-1 | '), colored on a terminal (not with NO_COLOR set).\n\n"
    "Options:\n"
    "  -f, --follow        keep printing new output until the tproc exits, then exit with its status\n"
    "                      (128+N when killed by signal N); for an app, each replica's runs after its\n"
    "                      restarts too, under the same prefix, until the app is done or down\n"
    "  -n, --tail N        only the last N lines (of each tproc)\n"
    "      --since TIME    only lines written at or after TIME: a duration before now (10m, 1h30m), an\n"
    "                      RFC 3339 time (2026-12-07T10:00:00Z), a date or a Unix time in seconds\n"
    "      --until TIME    only lines written at or before TIME\n"
    "  -t, --timestamps    start each line with the time it was written (RFC 3339, UTC, nanoseconds)\n";

/// One log being printed.
struct Source {
  std::string label;  ///< for errors: "tproc 3 (web.1)"
  LogReader reader;
  std::optional<protocol::Connection> waiting;  ///< a WaitRequest, answered when the tproc exits
  bool ended = false;                           ///< exited, and everything it wrote was read
  std::optional<int> status;                    ///< shell-style, once known
  size_t printer_index = 0;
  std::deque<LogLine> pending;
  bool exhausted = false;
};

struct Filter {
  std::optional<int64_t> since, until;
  std::optional<size_t> tail;
  bool keeps(const LogLine& line) const {
    return (!since || line.unix_ns >= *since) && (!until || line.unix_ns <= *until);
  }
};

/// Opens tproc `target`'s log; `follow`: also asks to hear of its exit.
Result<Source> open_source(const space::SpacePaths& paths, const std::string& space, const std::string& target, bool follow) {
  protocol::Received reply = TPROC_TRY(ask_space(paths, space, protocol::OpenRequest{target}));
  protocol::Opened opened = TPROC_TRY(expect<protocol::Opened>(reply));
  const std::string label = "tproc " + std::to_string(opened.tproc.id) + " (" + opened.tproc.name + ")";
  if (!opened.has_log) return Error::explained(label + " was started attached: its output went to the terminal that ran it", ENOENT);
  const size_t first_log = opened.tproc.running ? 1 : 0;
  if (reply.fds.size() != first_log + 3) return Error("malformed reply from the space daemon: Opened with " + std::to_string(reply.fds.size()) + " descriptors", EPROTO);
  Source source{label, LogReader(std::move(reply.fds[first_log]), std::move(reply.fds[first_log + 1]), std::move(reply.fds[first_log + 2]))};
  if (!opened.tproc.running) {
    source.status = opened.tproc.exit_status;
  } else if (follow) {
    protocol::Connection connection = TPROC_TRY(connect_space(paths, space));
    TPROC_TRY(connection.send(protocol::WaitRequest{std::to_string(opened.tproc.id)}));
    source.waiting.emplace(std::move(connection));
  }
  return source;
}

/// Pulls a source's next lines that pass `filter` into `pending`; false once it has none left.
Result<bool> refill(Source& source, const Filter& filter, bool final) {
  while (source.pending.empty()) {
    std::vector<LogLine> lines = TPROC_TRY(source.reader.next(final));
    if (lines.empty()) return false;
    for (LogLine& line : lines)
      if (filter.keeps(line)) source.pending.push_back(std::move(line));
  }
  return true;
}

/// Prints what the sources hold now, merged in time order; `final_all` when none runs any more.
Result<void> print_available(std::vector<Source>& sources, LogPrinter& printer, const Filter& filter,
                             const std::vector<bool>& final) {
  for (;;) {
    Source* earliest = nullptr;
    for (size_t i = 0; i < sources.size(); ++i) {
      Source& source = sources[i];
      if (source.exhausted) continue;
      if (!TPROC_TRY_CTX(source.label, refill(source, filter, final[i]))) {
        source.exhausted = true;
        continue;
      }
      if (!earliest || source.pending.front().unix_ns < earliest->pending.front().unix_ns) earliest = &source;
    }
    if (!earliest) break;
    printer.print(earliest->printer_index, earliest->pending.front());
    earliest->pending.pop_front();
  }
  printer.flush();
  for (Source& source : sources) source.exhausted = false;
  return ok();
}

/// --tail: keeps each source's last `count` lines as its pending ones.
Result<void> keep_tail(Source& source, const Filter& filter, size_t count, bool final) {
  std::deque<LogLine> kept;
  for (;;) {
    std::vector<LogLine> lines = TPROC_TRY_CTX(source.label, source.reader.next(final));
    if (lines.empty()) break;
    for (LogLine& line : lines) {
      if (!filter.keeps(line)) continue;
      kept.push_back(std::move(line));
      if (kept.size() > count) kept.pop_front();
    }
  }
  source.pending = std::move(kept);
  return ok();
}

Result<int> logs(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(
      args, {{"follow", 'f', false}, {"tail", 'n', true}, {"since", 0, true}, {"until", 0, true}, {"timestamps", 't', false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("logs", 1, 2, "SPACE and at most one ID|NAME|SERVICE"));
  Filter filter;
  const int64_t now = unix_now_ns();
  if (arguments.has("since")) filter.since = TPROC_TRY_CTX("--since", parse_log_time(arguments.value("since"), now));
  if (arguments.has("until")) filter.until = TPROC_TRY_CTX("--until", parse_log_time(arguments.value("until"), now));
  if (arguments.has("tail")) {
    const std::string tail = arguments.value("tail");
    if (tail != "all") {
      if (tail.empty() || tail.size() > 9 || tail.find_first_not_of("0123456789") != std::string::npos)
        return Error::explained("--tail: expected a number of lines or 'all', got '" + tail + "'", EINVAL);
      filter.tail = std::stoul(tail);
    }
  }
  const bool follow = arguments.has("follow");

  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& space = arguments.positional()[0];
  std::optional<std::string> target;
  if (arguments.positional().size() == 2) target = arguments.positional()[1];
  AppLogTargets targets = TPROC_TRY(AppLogTargets::find(paths, space, target));

  LogPrinter printer(arguments.has("timestamps"), LogPrinter::color_wanted());
  printer.pad_to(targets.prefix_width());
  std::map<std::string, size_t> printer_of;  // prefix -> printer source: a replica's runs share one
  std::vector<Source> sources;
  std::vector<bool> final;
  auto add = [&](const LogTarget& wanted, bool at_start) -> Result<void> {
    auto opened = open_source(paths, space, wanted.tproc, follow);
    if (!opened) {
      // One replica's record already pruned leaves the others to print; one tproc asked for is an error.
      if (at_start && (!targets.of_app() || targets.single())) return std::move(opened).error();
      return ok();
    }
    auto [printer_source, added] = printer_of.try_emplace(wanted.prefix, 0);
    if (added) printer_source->second = printer.add_source(wanted.prefix);
    opened->printer_index = printer_source->second;
    final.push_back(!opened->waiting);
    sources.push_back(std::move(*opened));
    return ok();
  };
  for (const LogTarget& wanted : targets.initial()) TPROC_TRY(add(wanted, true));
  if (filter.tail)
    for (size_t i = 0; i < sources.size(); ++i) TPROC_TRY(keep_tail(sources[i], filter, *filter.tail, final[i]));
  TPROC_TRY(print_available(sources, printer, filter, final));

  auto running = [&] { return std::any_of(sources.begin(), sources.end(), [](const Source& s) { return s.waiting.has_value(); }); };
  // An app's replica that restarts is a new tproc: following goes on while the app may start one.
  bool app_up = follow && targets.of_app();
  std::optional<Error> lost;
  while (follow && (running() || app_up)) {
    // A log file has no "more data" event: read every 100 ms, and at once when a tproc exits.
    std::vector<pollfd> waiting;
    for (Source& source : sources)
      if (source.waiting) waiting.push_back({source.waiting->fd(), POLLIN, 0});
    if (::poll(waiting.data(), waiting.size(), 100) < 0 && errno != EINTR) return Error::from_errno("poll");
    for (size_t i = 0, w = 0; i < sources.size(); ++i) {
      Source& source = sources[i];
      if (!source.waiting || !waiting[w++].revents) continue;
      auto answer = receive_reply(*source.waiting);
      source.waiting.reset();
      final[i] = true;
      if (!answer) {
        lost = std::move(answer).error().context(source.label);
        continue;
      }
      auto exited = expect<protocol::Exited>(*answer);
      if (exited) source.status = exited->killed ? 128 + exited->value : exited->value;
    }
    if (targets.of_app())
      for (const LogTarget& run : targets.new_runs(app_up)) TPROC_TRY(add(run, false));
    TPROC_TRY(print_available(sources, printer, filter, final));
  }
  if (lost) return std::move(*lost);
  // Following one tproc (or one replica) ends with its latest run's status, as `tproc wait` prints it.
  if (follow && targets.single() && !sources.empty() && sources.back().status) return *sources.back().status;
  return 0;
}

}  // namespace

const Command kLogsCommand{"logs", "Print the output of a detached program, or of an app's services", kUsage, logs};

}  // namespace tproc::cli
