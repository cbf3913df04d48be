#include "cli/log_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace tproc::cli {

LogReader::LogReader(UniqueFd out, UniqueFd err, UniqueFd index) : streams_{std::move(out), std::move(err)}, index_(std::move(index)) {}

Result<void> LogReader::read_index() {
  if (next_sample_ == samples_.size()) {
    samples_.clear();
    next_sample_ = 0;
  }
  char buffer[16384];
  for (;;) {
    const ssize_t got = ::read(index_.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("read log index");
    if (got == 0) break;
    index_partial_.append(buffer, static_cast<size_t>(got));
    size_t start = 0;
    for (size_t newline; (newline = index_partial_.find('\n', start)) != std::string::npos; start = newline + 1)
      // A line that is not a sample (a torn write after a full disk) stamps nothing.
      if (auto sample = space::LogSample::parse(std::string_view(index_partial_).substr(start, newline - start)))
        samples_.push_back(*sample);
    index_partial_.erase(0, start);
    if (samples_.size() - next_sample_ > 4096) break;
  }
  return ok();
}

Result<void> LogReader::take(space::LogStream stream, uint64_t end, int64_t unix_ns, size_t& budget, std::vector<LogLine>& lines) {
  const size_t which = static_cast<size_t>(stream);
  if (consumed_[which] >= end) return ok();  // nothing new: its time says nothing of what is
  latest_ns_ = std::max(latest_ns_, unix_ns);
  char buffer[65536];
  while (consumed_[which] < end && budget > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>({sizeof(buffer), end - consumed_[which], budget}));
    const ssize_t got = ::pread(streams_[which].get(), buffer, want, static_cast<off_t>(consumed_[which]));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno(stream == space::LogStream::out ? "read stdout log" : "read stderr log");
    if (got == 0) break;  // truncated under us: nothing more to give
    consumed_[which] += static_cast<uint64_t>(got);
    budget -= std::min(budget, static_cast<size_t>(got));
    std::string& partial = partial_[which];
    partial.append(buffer, static_cast<size_t>(got));
    size_t start = 0;
    for (size_t newline; (newline = partial.find('\n', start)) != std::string::npos; start = newline + 1)
      lines.push_back({stream, latest_ns_, partial.substr(start, newline + 1 - start)});
    for (; partial.size() - start >= kMaxLinePiece; start += kMaxLinePiece)
      lines.push_back({stream, latest_ns_, partial.substr(start, kMaxLinePiece)});
    partial.erase(0, start);
  }
  return ok();
}

Result<std::vector<LogLine>> LogReader::next(bool final, size_t budget) {
  // A budget spent inside one long piece gives no line yet: go on, so that empty means "all read".
  for (;;) {
    size_t left = budget;
    std::vector<LogLine> lines = TPROC_TRY(next_batch(final, left));
    if (!lines.empty() || left > 0) return lines;
  }
}

Result<std::vector<LogLine>> LogReader::next_batch(bool final, size_t& budget) {
  std::vector<LogLine> lines;
  TPROC_TRY(read_index());
  for (; next_sample_ < samples_.size() && budget > 0; ++next_sample_) {
    const space::LogSample& sample = samples_[next_sample_];
    TPROC_TRY(take(sample.stream, sample.end, sample.unix_ns, budget, lines));
    if (consumed_[static_cast<size_t>(sample.stream)] < sample.end) break;  // the budget ran out inside it
  }
  if (next_sample_ == samples_.size() && budget > 0) {
    // What no sample covers yet: written after the daemon's last look, or after the daemon died.
    for (size_t which = 0; which < 2; ++which) {
      struct stat status {};
      if (::fstat(streams_[which].get(), &status) < 0) return Error::from_errno("stat log");
      const int64_t modified = static_cast<int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
      TPROC_TRY(take(static_cast<space::LogStream>(which), static_cast<uint64_t>(status.st_size), modified, budget, lines));
    }
  }
  if (final && budget > 0)
    for (size_t which = 0; which < 2; ++which)
      if (!partial_[which].empty()) {
        lines.push_back({static_cast<space::LogStream>(which), latest_ns_, std::move(partial_[which])});
        partial_[which].clear();
      }
  std::stable_sort(lines.begin(), lines.end(), [](const LogLine& a, const LogLine& b) { return a.unix_ns < b.unix_ns; });
  return lines;
}

}  // namespace tproc::cli
