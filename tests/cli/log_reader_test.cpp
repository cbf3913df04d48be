// Reading a detached tproc's log (cli/log_reader.hpp) from files laid out as the daemon writes
// them (space/log_files.hpp): stdout, stderr and the index of when they grew.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/log_reader.hpp"

using namespace tproc::cli;
using tproc::UniqueFd;
using tproc::space::LogStream;

namespace {

/// Three files in a temp dir, appended to as a program and the daemon would.
struct LogDir {
  std::string dir;
  LogDir() {
    char pattern[] = "/tmp/tproc-log-reader-test.XXXXXX";
    REQUIRE(::mkdtemp(pattern));
    dir = pattern;
  }
  ~LogDir() {
    for (const char* name : {"/out", "/err", "/index"}) ::unlink((dir + name).c_str());
    ::rmdir(dir.c_str());
  }
  void append(const char* name, const std::string& bytes) {
    UniqueFd file(::open((dir + name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    REQUIRE(file);
    REQUIRE(::write(file.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  UniqueFd open(const char* name) {
    append(name, "");
    return UniqueFd(::open((dir + name).c_str(), O_RDONLY | O_CLOEXEC));
  }
  LogReader reader() { return LogReader(open("/out"), open("/err"), open("/index")); }
};

std::vector<LogLine> everything(LogReader& reader, bool final, size_t budget = 1 << 20) {
  std::vector<LogLine> all;
  for (;;) {
    auto lines = reader.next(final, budget);
    REQUIRE(lines);
    if (lines->empty()) return all;
    all.insert(all.end(), lines->begin(), lines->end());
  }
}

}  // namespace

TEST_CASE("lines of both streams come in the order the index saw them, each stamped with its sample's time") {
  LogDir log;
  log.append("/out", "one\ntwo\n");
  log.append("/err", "oops\n");
  log.append("/out", "three\n");
  log.append("/index", "100 o 4\n200 e 5\n300 o 8\n400 o 14\n");
  LogReader reader = log.reader();
  const auto lines = everything(reader, true);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text == "one\n");
  CHECK(lines[0].unix_ns == 100);
  CHECK(lines[1].text == "oops\n");
  CHECK(lines[1].stream == LogStream::err);
  CHECK(lines[1].unix_ns == 200);
  CHECK(lines[2].text == "two\n");
  CHECK(lines[2].unix_ns == 300);
  CHECK(lines[3].text == "three\n");
  CHECK(lines[3].unix_ns == 400);
}

TEST_CASE("a line split across samples gets the time its newline was seen, and an unfinished one waits until final") {
  LogDir log;
  log.append("/out", "hal");
  log.append("/index", "100 o 3\n");
  LogReader reader = log.reader();
  CHECK(everything(reader, false).empty());
  log.append("/out", "f\nrest");
  log.append("/index", "200 o 10\n");
  auto lines = everything(reader, false);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "half\n");
  CHECK(lines[0].unix_ns == 200);
  lines = everything(reader, true);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "rest");
}

TEST_CASE("bytes no sample covers (the daemon died) are given with the file's time, never earlier than the last sample") {
  LogDir log;
  log.append("/out", "seen\nunseen\n");
  log.append("/index", "100 o 5\n");
  LogReader reader = log.reader();
  const auto lines = everything(reader, true);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text == "unseen\n");
  struct stat status {};
  REQUIRE(::stat((log.dir + "/out").c_str(), &status) == 0);
  CHECK(lines[1].unix_ns == static_cast<int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec);
}

TEST_CASE("a torn or foreign index line stamps nothing, and a sample past the end of a file reads what is there") {
  LogDir log;
  log.append("/out", "a\nb\n");
  log.append("/index", "garbage\n100 x 2\n100 o 2\n200 o 999999\n");
  LogReader reader = log.reader();
  const auto lines = everything(reader, true);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].unix_ns == 100);
  CHECK(lines[1].text == "b\n");
}

TEST_CASE("a very long line comes in pieces, and a small budget gives every byte over several calls") {
  LogDir log;
  const std::string long_line(kMaxLinePiece * 2 + 10, 'x');
  log.append("/out", long_line + "\nend\n");
  log.append("/index", "100 o " + std::to_string(long_line.size() + 5) + "\n");
  LogReader reader = log.reader();
  const auto lines = everything(reader, true, 4096);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text.size() == kMaxLinePiece);
  CHECK(lines[1].text.size() == kMaxLinePiece);
  CHECK(lines[2].text == std::string(10, 'x') + "\n");
  CHECK(lines[3].text == "end\n");
}
