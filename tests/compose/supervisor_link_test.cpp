// SupervisorLink (compose/supervisor_link.hpp): the line protocol between `tproc up`/`down` and
// an app's supervisor. Lines arrive in arbitrary pieces and come out whole, in order; a peer that
// sends a line longer than kMaxLineBytes is refused with EMSGSIZE once that much is buffered,
// instead of the buffer growing (and being rescanned) without end: a 220 MiB line used to keep a
// supervisor at 92% CPU for 10 minutes.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "compose/supervisor_link.hpp"

using namespace tproc;
using namespace tproc::compose;

namespace {

struct LinkPair {
  SupervisorLink ours;
  UniqueFd theirs;

  static LinkPair make() {
    int ends[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0);
    return LinkPair{SupervisorLink(UniqueFd(ends[0])), UniqueFd(ends[1])};
  }

  void write(const std::string& bytes) {
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t put = ::send(theirs.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      REQUIRE(put > 0);
      done += static_cast<size_t>(put);
    }
  }
};

}  // namespace

TEST_CASE("lines sent in pieces come out whole and in order, fields decoded") {
  LinkPair pair = LinkPair::make();
  std::string stream;
  for (int i = 0; i < 2000; ++i) stream += encode_record({"say", "line " + std::to_string(i), "tab\there"}) + "\n";
  // Pieces of odd sizes, each filled before the next is sent.
  size_t received = 0;
  for (size_t at = 0; at < stream.size(); at += 997) {
    pair.write(stream.substr(at, 997));
    auto more = pair.ours.fill(true);
    REQUIRE(more.has_value());
    REQUIRE(*more);
    while (auto record = pair.ours.next()) {
      REQUIRE(record->size() == 3);
      CHECK((*record)[1] == "line " + std::to_string(received));
      CHECK((*record)[2] == "tab\there");
      ++received;
    }
  }
  CHECK(received == 2000);
  CHECK_FALSE(pair.ours.next().has_value());
}

TEST_CASE("a line longer than the bound is refused with EMSGSIZE after about that much, not buffered forever") {
  LinkPair pair = LinkPair::make();
  pair.write(encode_record({"up"}) + "\n");
  // The peer sends one line a little longer than the bound, never finished, then ends its side
  // (the attack sent 220 MiB): without the bound the reader would buffer it all and see the end.
  std::thread sender([fd = pair.theirs.get()] {
    const std::string block(64 * 1024, 'x');
    size_t sent = 0;
    while (sent < kMaxLineBytes + block.size()) {
      const ssize_t put = ::send(fd, block.data(), block.size(), MSG_NOSIGNAL);
      if (put <= 0) break;  // the reader gave up and closed its end
      sent += static_cast<size_t>(put);
    }
    ::shutdown(fd, SHUT_WR);
  });
  size_t fills = 0;
  std::optional<Error> refused;
  std::vector<Record> records;
  for (;;) {
    auto more = pair.ours.fill(true);
    ++fills;
    if (!more) {
      refused = more.error();
      break;
    }
    REQUIRE(*more);  // not the end of the stream: refused before that
    while (auto record = pair.ours.next()) records.push_back(*record);
  }
  pair.ours = SupervisorLink(UniqueFd());  // closes our end: the sender stops
  sender.join();
  REQUIRE(records.size() == 1);
  CHECK(records[0] == Record{"up"});
  REQUIRE(refused.has_value());
  CHECK(refused->code() == EMSGSIZE);
  // Not before the bound: a fill reads at most 4 KiB.
  CHECK(fills * 4096 >= kMaxLineBytes);
}
