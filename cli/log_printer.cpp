#include "cli/log_printer.hpp"

#include <unistd.h>

#include <cstdlib>

#include "cli/log_time.hpp"

namespace tproc::cli {
namespace {

/// The colors docker compose gives its services' prefixes, in turn.
constexpr const char* kColors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m",
                                   "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m"};
constexpr const char* kReset = "\033[0m";

}  // namespace

bool LogPrinter::color_wanted() {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

size_t LogPrinter::add_source(std::string prefix) {
  width_ = std::max(width_, prefix.size());
  sources_.push_back({std::move(prefix)});
  return sources_.size() - 1;
}

void LogPrinter::print(size_t index, const LogLine& line) {
  Source& source = sources_.at(index);
  const size_t stream = static_cast<size_t>(line.stream);
  FILE* out = line.stream == space::LogStream::out ? stdout : stderr;
  if (source.at_line_start[stream]) {
    if (!source.prefix.empty()) {
      const std::string padded = source.prefix + std::string(width_ - source.prefix.size(), ' ') + " | ";
      if (color_) {
        std::fprintf(out, "%s%s%s", kColors[index % std::size(kColors)], padded.c_str(), kReset);
      } else {
        std::fputs(padded.c_str(), out);
      }
    }
    if (timestamps_) std::fprintf(out, "%s ", format_log_time(line.unix_ns).c_str());
  }
  std::fwrite(line.text.data(), 1, line.text.size(), out);
  const bool ended = !line.text.empty() && line.text.back() == '\n';
  // With a prefix, an unfinished last line still ends its own line: the next source's starts fresh.
  if (!ended && line.text.size() < kMaxLinePiece && !source.prefix.empty()) std::fputc('\n', out);
  source.at_line_start[stream] = ended || line.text.size() < kMaxLinePiece;
}

void LogPrinter::flush() {
  std::fflush(stdout);
  std::fflush(stderr);
}

}  // namespace tproc::cli
