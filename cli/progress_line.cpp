#include "cli/progress_line.hpp"

#include <unistd.h>

#include <cstdio>

#include "cli/output.hpp"
#include "common/monotonic_clock.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

constexpr uint64_t kRedrawNs = 100'000'000;

std::string amount(uint64_t count, ProgressUnit unit) {
  return unit == ProgressUnit::bytes ? human_size(count, SizeUnits::decimal) : std::to_string(count);
}

}  // namespace

ProgressLine::ProgressLine(std::string title, bool wanted)
    : title_(std::move(title)), shown_(wanted && ::isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::report(std::string_view what, uint64_t done, uint64_t total, ProgressUnit unit) {
  if (!shown_) return;
  std::string counted = amount(done, unit);
  if (total) counted += " of " + amount(total, unit);
  draw(what, counted, done, total);
}

void ProgressLine::report_files(std::string_view what, uint64_t files, uint64_t done, uint64_t total) {
  if (!shown_) return;
  std::string counted = std::to_string(files) + (files == 1 ? " file, " : " files, ") + amount(done, ProgressUnit::bytes);
  if (total) counted += " of " + amount(total, ProgressUnit::bytes);
  draw(what, counted, done, total);
}

void ProgressLine::draw(std::string_view what, const std::string& counted, uint64_t done, uint64_t total) {
  const uint64_t now = monotonic_ns();
  const bool new_step = what != step_;
  if (!new_step && now - last_draw_ns_ < kRedrawNs && done != total) return;
  std::string line = title_ + ": " + std::string(what) + ": " + counted;
  if (total) line += " (" + std::to_string(done * 100 / total) + "%)";
  if (line == last_line_) return;  // a step at 100% reports on: nothing new to draw
  step_ = what;
  last_draw_ns_ = now;
  last_line_ = line;
  // \r and "erase to end of line": the line is redrawn in place, never scrolls.
  std::fprintf(stderr, "\r\033[K%s", terminal_text(line, false).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
  last_line_.clear();
}

}  // namespace tproc::cli
