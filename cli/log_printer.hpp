#pragma once
// LogPrinter: how `tproc logs` (and an attached `tproc up`) print log lines: stdout's to stdout,
// stderr's to stderr, as podman and docker do; with several sources (the replicas of an app) each
// line after its source's name, "web-1  | ", padded to the longest and colored on a terminal as
// `docker compose logs` does; with timestamps, its time first.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/log_reader.hpp"

namespace tproc::cli {

/// Prints the lines of one or more logs.
class LogPrinter {
 public:
  /// `timestamps`: each line starts with its time (cli/log_time.hpp). `color`: prefixes are
  /// colored (decided once: a terminal on stdout, and no NO_COLOR in the environment).
  LogPrinter(bool timestamps, bool color) : timestamps_(timestamps), color_(color) {}

  /// Whether prefixes should be colored here: stdout is a terminal and NO_COLOR is unset.
  static bool color_wanted();

  /// Pads every prefix to at least `width` characters (sources may be added later).
  void pad_to(size_t width) { width_ = std::max(width_, width); }
  /// Adds a source; its lines get `prefix` (none when empty). Returns its index for print().
  size_t add_source(std::string prefix);
  /// Prints one line of source `source`.
  void print(size_t source, const LogLine& line);
  /// Flushes both streams.
  void flush();

 private:
  struct Source {
    std::string prefix;
    bool at_line_start[2] = {true, true};  ///< a piece of a long line continues without a prefix
  };
  bool timestamps_;
  bool color_;
  size_t width_ = 0;
  std::vector<Source> sources_;
};

}  // namespace tproc::cli
