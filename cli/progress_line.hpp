#pragma once
// ProgressLine: a long command's progress as one line on stderr, redrawn in place
// ("tproc build: compressing 12.3MB of 40.1MB (30%)"), erased when the command ends so that its
// result is what stays on the terminal. Shown only where a person watches: stderr is a terminal,
// and the command was not asked to be quiet (-q); otherwise it draws nothing.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/progress.hpp"

namespace tproc::cli {

/// Draws progress on stderr; every step's first report at once, then at most ten redraws a second.
class ProgressLine final : public Progress {
 public:
  /// `title` leads the line ("tproc build"). `wanted`: false draws nothing (-q).
  ProgressLine(std::string title, bool wanted);
  ~ProgressLine() override;
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void report(std::string_view what, uint64_t done, uint64_t total, ProgressUnit unit) override;
  /// Erases the line (also done by the destructor); call it before printing the result.
  void finish();

  /// Whether it draws: wanted and stderr is a terminal.
  bool shown() const { return shown_; }

 private:
  std::string title_;
  bool shown_;
  bool drawn_ = false;
  std::string step_;
  uint64_t last_draw_ns_ = 0;
};

}  // namespace tproc::cli
