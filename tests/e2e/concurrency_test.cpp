// Many tprocs at once in one space: each client gets its own program's status and output, the
// first runs race to start one daemon, and malloc-heavy and threaded programs run side by side.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// Exit codes spread over 0..255 (37 is odd, so 50 clients get 50 different codes).
int status_of_client(int client) { return (client * 37) % 256; }

}  // namespace

TEST_CASE("50 concurrent tproc run into one space each get their own status and output") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "busy", program("exit_with"), "0"}), ExitsWith(0));

  std::vector<ChildProcess> clients;
  for (int client = 0; client < 50; ++client)
    clients.push_back(sandbox.start_tproc({"run", "busy", program("exit_with"),
                                           std::to_string(status_of_client(client)),
                                           "client " + std::to_string(client)}));
  for (int client = 0; client < 50; ++client) {
    INFO("client " << client);
    Outcome outcome = clients[client].wait();
    CHECK_THAT(outcome, ExitsWith(status_of_client(client)));
    CHECK(outcome.out == "client " + std::to_string(client) + "\n");
  }
  CHECK(sandbox.spaces().size() == 1);
}

TEST_CASE("concurrent first runs into a new space start exactly one daemon") {
  Sandbox sandbox;
  std::vector<ChildProcess> clients;
  for (int client = 0; client < 10; ++client)
    clients.push_back(
        sandbox.start_tproc({"run", "cold", program("exit_with"), std::to_string(client)}));
  for (int client = 0; client < 10; ++client) {
    INFO("client " << client);
    CHECK_THAT(clients[client].wait(), ExitsWith(client));
  }
  auto spaces = sandbox.spaces();
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].name == "cold");
  CHECK(process_alive(spaces[0].pid));
}

TEST_CASE("two malloc-heavy tprocs at once compute what a direct run computes") {
  Sandbox sandbox;
  Outcome direct = sandbox.run_direct({program("malloc_heavy")}, {}, 60s);
  REQUIRE_THAT(direct, ExitsWith(0));
  REQUIRE(direct.out.rfind("checksum=", 0) == 0);

  ChildProcess first = sandbox.start_tproc({"run", "heap", program("malloc_heavy")});
  ChildProcess second = sandbox.start_tproc({"run", "heap", program("malloc_heavy")});
  Outcome first_outcome = first.wait(60s);
  Outcome second_outcome = second.wait(60s);
  CHECK_THAT(first_outcome, ExitsWith(0));
  CHECK(first_outcome.out == direct.out);
  CHECK_THAT(second_outcome, ExitsWith(0));
  CHECK(second_outcome.out == direct.out);
}

TEST_CASE("pthreads and thread_local work inside tprocs, two at once") {
  Sandbox sandbox;
  ChildProcess first = sandbox.start_tproc({"run", "tls", program("threads_tls"), "8"});
  ChildProcess second = sandbox.start_tproc({"run", "tls", program("threads_tls"), "4"});
  Outcome first_outcome = first.wait();
  Outcome second_outcome = second.wait();
  CHECK_THAT(first_outcome, ExitsWith(0));
  CHECK(first_outcome.out == "threads=8 total=8000000 tls_destructors=8 ok\n");
  CHECK_THAT(second_outcome, ExitsWith(0));
  CHECK(second_outcome.out == "threads=4 total=4000000 tls_destructors=4 ok\n");
}
