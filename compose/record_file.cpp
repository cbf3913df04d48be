#include "compose/record_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/unique_fd.hpp"

namespace tproc::compose {

std::string encode_record(const Record& record) {
  std::string line;
  for (size_t i = 0; i < record.size(); ++i) {
    if (i) line += '\t';
    for (char c : record[i]) {
      if (c == '\\') line += "\\\\";
      else if (c == '\t') line += "\\t";
      else if (c == '\n') line += "\\n";
      else line += c;
    }
  }
  return line;
}

Record decode_record(const std::string& line) {
  Record record(1);
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\t') {
      record.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      const char next = line[++i];
      record.back() += next == 't' ? '\t' : next == 'n' ? '\n' : next;
    } else {
      record.back() += c;
    }
  }
  return record;
}

Result<void> write_records(const std::string& path, const std::vector<Record>& records) {
  std::string text;
  for (const Record& record : records) text += encode_record(record) + "\n";
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("create " + temporary);
  for (size_t done = 0; done < text.size();) {
    const ssize_t put = ::write(fd.get(), text.data() + done, text.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      const Error error = Error::from_errno("write " + temporary);
      ::unlink(temporary.c_str());
      return error;
    }
    done += static_cast<size_t>(put);
  }
  fd.reset();
  if (::rename(temporary.c_str(), path.c_str()) < 0) {
    const Error error = Error::from_errno("rename " + temporary);
    ::unlink(temporary.c_str());
    return error;
  }
  return ok();
}

Result<std::vector<Record>> read_records(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(path);
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno(path);
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  std::vector<Record> records;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) records.push_back(decode_record(text.substr(start, end - start)));
    start = end + 1;
  }
  return records;
}

}  // namespace tproc::compose
