#include "space/log_files.hpp"

#include <charconv>

namespace tproc::space {
namespace {

constexpr std::string_view kSuffixes[] = {".log", ".stderr", ".index"};

template <class T>
bool parse_number(std::string_view text, T& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

LogFiles LogFiles::in(const std::string& log_dir, uint64_t id) {
  const std::string base = log_dir + "/" + std::to_string(id);
  return {base + ".log", base + ".stderr", base + ".index"};
}

std::optional<uint64_t> LogFiles::id_of(std::string_view name) {
  for (std::string_view suffix : kSuffixes) {
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) continue;
    const std::string_view digits = name.substr(0, name.size() - suffix.size());
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    uint64_t id = 0;
    if (parse_number(digits, id)) return id;
  }
  return std::nullopt;
}

std::string LogSample::text() const {
  return std::to_string(unix_ns) + (stream == LogStream::out ? " o " : " e ") + std::to_string(end) + "\n";
}

std::optional<LogSample> LogSample::parse(std::string_view line) {
  const size_t first = line.find(' ');
  if (first == std::string_view::npos || line.size() < first + 4 || line[first + 2] != ' ') return std::nullopt;
  LogSample sample;
  if (line[first + 1] == 'o') {
    sample.stream = LogStream::out;
  } else if (line[first + 1] == 'e') {
    sample.stream = LogStream::err;
  } else {
    return std::nullopt;
  }
  if (!parse_number(line.substr(0, first), sample.unix_ns) || !parse_number(line.substr(first + 3), sample.end))
    return std::nullopt;
  return sample;
}

}  // namespace tproc::space
