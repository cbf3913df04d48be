// The names and the index lines of a detached tproc's log (space/log_files.hpp).

#include <catch2/catch.hpp>

#include "space/log_files.hpp"

using namespace tproc::space;

TEST_CASE("a tproc's three log files are named after its id, and only those names give an id back") {
  const LogFiles files = LogFiles::in("/logs", 12);
  CHECK(files.out == "/logs/12.log");
  CHECK(files.err == "/logs/12.stderr");
  CHECK(files.index == "/logs/12.index");
  CHECK(LogFiles::id_of("12.log") == 12u);
  CHECK(LogFiles::id_of("7.stderr") == 7u);
  CHECK(LogFiles::id_of("7.index") == 7u);
  for (const char* other : {".log", "a.log", "12.log.bak", "12", "-1.log", "1 2.log", "daemon.log"}) {
    INFO(other);
    CHECK_FALSE(LogFiles::id_of(other));
  }
}

TEST_CASE("an index line reads back as the sample it was written from, anything else is no sample") {
  const LogSample sample{1796637600123456789, LogStream::err, 4096};
  CHECK(sample.text() == "1796637600123456789 e 4096\n");
  auto read = LogSample::parse("1796637600123456789 e 4096");
  REQUIRE(read);
  CHECK(read->unix_ns == sample.unix_ns);
  CHECK(read->stream == LogStream::err);
  CHECK(read->end == 4096u);
  CHECK(LogSample::parse("5 o 3")->stream == LogStream::out);
  for (const char* torn : {"", "5 o", "5 x 3", "5 o 3x", "o 3", "5  o 3", "17965 e "}) {
    INFO(torn);
    CHECK_FALSE(LogSample::parse(torn));
  }
}
