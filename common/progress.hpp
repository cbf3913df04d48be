#pragma once
// Progress: how a long operation (building a bundle: collecting its files, compressing its layer;
// unpacking one on its first run) says how far it has got. Libraries take one, or none, and report to it; only the CLI decides
// whether and how to show it (cli/progress_line.hpp: one line on a terminal, nothing otherwise),
// so a library never writes to a terminal itself.

#include <cstdint>
#include <string_view>

namespace tproc {

/// What a progress count counts.
enum class ProgressUnit { items, bytes };

/// Receives the progress of one operation, step by step.
class Progress {
 public:
  virtual ~Progress() = default;
  /// The step `what` ("collecting files") has reached `done` of `total` (0: total unknown).
  /// Called often: an implementation decides how often to show it.
  virtual void report(std::string_view what, uint64_t done, uint64_t total, ProgressUnit unit) = 0;
  /// A step that handles files while its total is known in bytes ("unpacking": 312 files so far,
  /// `done` of `total` bytes read). By default shown as the bytes alone.
  virtual void report_files(std::string_view what, uint64_t /*files*/, uint64_t done, uint64_t total) {
    report(what, done, total, ProgressUnit::bytes);
  }
};

/// Reports to `progress` when there is one.
inline void report_progress(Progress* progress, std::string_view what, uint64_t done, uint64_t total, ProgressUnit unit) {
  if (progress) progress->report(what, done, total, unit);
}

}  // namespace tproc
