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
  const uint64_t now = monotonic_ns();
  const bool new_step = what != step_;
  if (!new_step && now - last_draw_ns_ < kRedrawNs && done != total) return;
  step_ = what;
  last_draw_ns_ = now;
  std::string line = title_ + ": " + std::string(what) + ": " + amount(done, unit);
  if (total) line += " of " + amount(total, unit) + " (" + std::to_string(done * 100 / total) + "%)";
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
}

}  // namespace tproc::cli
