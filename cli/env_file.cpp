#include "cli/env_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/printable.hpp"
#include "common/unique_fd.hpp"

namespace tproc::cli {
namespace {

constexpr off_t kMostEnvFileBytes = 1 << 20;

/// A key as a shell would take it: no space or NUL, not empty.
bool is_key(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key)
    if (c == ' ' || c == '\t' || c == '\0') return false;
  return true;
}

}  // namespace

Result<std::vector<std::string>> resolve_assignment(const std::string& assignment) {
  const size_t equals = assignment.find('=');
  const std::string key = assignment.substr(0, equals);
  if (!is_key(key)) return Error::explained("'" + printable(assignment) + "': expected KEY=VALUE or KEY", EINVAL);
  if (equals != std::string::npos) return std::vector<std::string>{assignment};
  const char* value = ::getenv(key.c_str());
  if (!value) return std::vector<std::string>{};
  return std::vector<std::string>{key + "=" + value};
}

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  const std::string shown = printable(path);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return Error::from_errno(shown);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno(shown);
  if (!S_ISREG(st.st_mode)) return Error::explained(shown + ": not a regular file", EINVAL);
  if (st.st_size > kMostEnvFileBytes) return Error::explained(shown + ": larger than 1 MiB", EFBIG);

  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t have = 0;
  while (have < text.size()) {
    const ssize_t got = ::read(fd.get(), text.data() + have, text.size() - have);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno(shown);
    if (got == 0) break;  // shrank while we read: take what is there
    have += static_cast<size_t>(got);
  }
  text.resize(have);

  std::vector<std::string> assignments;
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto resolved = resolve_assignment(line.substr(first));
    if (!resolved) return Error::explained(shown + ":" + std::to_string(line_number) + ": " + resolved.error().describe(), EINVAL);
    assignments.insert(assignments.end(), resolved->begin(), resolved->end());
  }
  return assignments;
}

}  // namespace tproc::cli
