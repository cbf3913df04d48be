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
  /// "tproc run: unpacking: 312 files, 4.21MB of 11.7MB (36%)".
  void report_files(std::string_view what, uint64_t files, uint64_t done, uint64_t total) override;
  /// Erases the line (also done by the destructor); call it before printing the result.
  void finish();

  /// Whether it draws: wanted and stderr is a terminal.
  bool shown() const { return shown_; }

 private:
  /// Draws `what: counted` (and the share of `total`), unless the same step drew less than a
  /// tenth of a second ago and is not complete.
  void draw(std::string_view what, const std::string& counted, uint64_t done, uint64_t total);

  std::string title_;
  bool shown_;
  bool drawn_ = false;
  std::string step_;
  std::string last_line_;
  uint64_t last_draw_ns_ = 0;
};

}  // namespace tproc::cli
