// The samples that use libtproc (issue 4), run as their READMEs say: samples/kv (a key-value server
// and clients passing keys and values by pointer) and samples/pipeline (producer -> transformer ->
// consumer handing 8 MiB buffers over without copying them).

#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bundle_support.hpp"
#include "expectations.hpp"
#include "registry_support.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
using namespace std::chrono_literals;

namespace {

/// Sequence number -> address, from lines "STAGE: #SEQ ADDRESS ...".
std::map<int, std::string> addresses(const std::string& out, const std::string& stage) {
  std::map<int, std::string> found;
  for (const std::string& line : lines_starting(out, stage + ": #")) {
    const size_t number = stage.size() + 3;
    const size_t space = line.find(' ', number);
    found[std::stoi(line.substr(number, space - number))] = word_after(line.substr(space), " ");
  }
  return found;
}

}  // namespace

TEST_CASE("kv: two clients started separately put and get by pointer through a detached server") {
  Sandbox sandbox;
  const std::string server_id = sandbox.detach({"kv", sample("kv", "kv_server")});
  ChildProcess alice = sandbox.start_tproc({"run", "kv", sample("kv", "kv_client"), "--name", "alice", "--keys", "200"});
  ChildProcess bob =
      sandbox.start_tproc({"run", "kv", sample("kv", "kv_client"), "--name", "bob", "--keys", "200", "--value-bytes", "5000"});
  for (ChildProcess* client : {&alice, &bob}) {
    const Outcome outcome = client->wait();
    CHECK_THAT(outcome, ExitsWith(0));
    CHECK(outcome.out.find("301 puts (101 replaced), 601 gets, 50 erases, 150 keys left: all verified") != std::string::npos);
  }

  const TprocInfo server = sandbox.tproc_info("kv", server_id);
  const std::optional<EndpointRow> endpoint = find_endpoint(registry_ls(sandbox, "kv"), "kv.requests");
  REQUIRE(endpoint);
  CHECK(endpoint->owner_id == std::stoull(server_id));
  CHECK(endpoint->owner_name == "kv_server");
  CHECK(endpoint->owner_pid == server.pid);
  CHECK(endpoint->state == "ready");
  CHECK(endpoint->kind == kind_text("kv.Service/1"));
  Outcome logs = sandbox.tproc({"logs", "kv", server_id});
  CHECK(word_after(logs.out, "serving kv.requests at ") == endpoint->address);

  const Outcome shutdown = sandbox.tproc({"run", "kv", sample("kv", "kv_client"), "--shutdown"});
  CHECK_THAT(shutdown, ExitsWith(0));
  CHECK(shutdown.out.find("kv.requests is gone") != std::string::npos);
  CHECK(eventually([&] { return !find_endpoint(registry_ls(sandbox, "kv"), "kv.requests"); }));
  CHECK(eventually([&] { return sandbox.tproc_info("kv", server_id, true).state == "exited"; }));
  logs = sandbox.tproc({"logs", "kv", server_id});
  CHECK(logs.out.find("freed 300 keys and their values") != std::string::npos);
  // Keys, values and the channel came from the space heap, allocated by three programs and freed
  // by whichever held them last: nothing is left.
  CHECK(heap_counter(sandbox, "kv", "blocks_in_use") == 0);
}

TEST_CASE("kv: a client started before the server waits for it, and SIGTERM ends the server cleanly") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "kv", program("exit_with"), "0"}), ExitsWith(0));  // the space is up
  ChildProcess early = sandbox.start_tproc({"run", "kv", sample("kv", "kv_client"), "--name", "early", "--keys", "20"});
  std::this_thread::sleep_for(300ms);
  REQUIRE_FALSE(early.exited());  // waiting for kv.requests

  const std::string server_id = sandbox.detach({"kv", sample("kv", "kv_server")});
  const Outcome outcome = early.wait();
  CHECK_THAT(outcome, ExitsWith(0));
  CHECK(outcome.out.find("all verified") != std::string::npos);

  REQUIRE_THAT(sandbox.tproc({"stop", "kv", server_id}), ExitsWith(0));
  CHECK(eventually([&] { return sandbox.tproc_info("kv", server_id, true).state == "exited"; }));
  const Outcome logs = sandbox.tproc({"logs", "kv", server_id});
  CHECK(logs.out.find("kv_server: shut down after") != std::string::npos);  // it ran its cleanup
  CHECK(registry_ls(sandbox, "kv").empty());
  CHECK(heap_counter(sandbox, "kv", "blocks_in_use") == 0);

  // With the server gone, a client says so instead of hanging.
  const Outcome orphan =
      sandbox.tproc({"run", "kv", sample("kv", "kv_client"), "--name", "late", "--keys", "4", "--wait-ms", "200"});
  CHECK_THAT(orphan, ExitsWith(3));
  CHECK(orphan.err.find("no kv.requests endpoint") != std::string::npos);
}

TEST_CASE("kv: run from its bundle, the server's endpoint is declared by the manifest and made ready by the server") {
  Sandbox sandbox;
  const std::string bundle = build_bundle(sandbox, sample("kv", "tproc.yaml"), "kv.bundle");
  const std::string server_id = sandbox.detach({"kv", bundle});
  const Outcome client = sandbox.tproc({"run", "kv", sample("kv", "kv_client"), "--name", "bundled", "--keys", "40"});
  CHECK_THAT(client, ExitsWith(0));
  CHECK(client.out.find("all verified") != std::string::npos);
  const std::optional<EndpointRow> endpoint = find_endpoint(registry_ls(sandbox, "kv"), "kv.requests");
  REQUIRE(endpoint);
  CHECK(endpoint->state == "ready");
  CHECK(endpoint->owner_id == std::stoull(server_id));
  CHECK(endpoint->owner_name == "kv");
  // The manifest's symbol and the server's own idea of its descriptor agree.
  CHECK(word_after(sandbox.tproc({"logs", "kv", server_id}).out, "serving kv.requests at ") == endpoint->address);
  CHECK_THAT(sandbox.tproc({"run", "kv", sample("kv", "kv_client"), "--shutdown"}), ExitsWith(0));
  CHECK(eventually([&] { return registry_ls(sandbox, "kv").empty(); }));
}

TEST_CASE("pipeline: the consumer checks and frees the very buffers the producer allocated") {
  // Each stage waits for the next one's inbox, so they may start in any order.
  const std::vector<std::string> order = GENERATE(std::vector<std::string>{"consumer", "transformer", "producer"},
                                                  std::vector<std::string>{"producer", "transformer", "consumer"});
  INFO("started in the order " << order[0] << ", " << order[1] << ", " << order[2]);
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "pipe", program("exit_with"), "0"}), ExitsWith(0));  // the space is up
  std::map<std::string, ChildProcess> stages;
  for (const std::string& stage : order) {
    std::vector<std::string> args = {"run", "pipe", sample("pipeline", stage)};
    if (stage == "producer") args.insert(args.end(), {"--count", "12"});
    stages.emplace(stage, sandbox.start_tproc(args));
  }
  std::map<std::string, Outcome> outcomes;
  for (auto& [stage, run] : stages) {
    outcomes[stage] = run.wait(60s);
    INFO(stage);
    CHECK_THAT(outcomes[stage], ExitsWith(0));
  }

  const std::map<int, std::string> produced = addresses(outcomes["producer"].out, "producer");
  const std::map<int, std::string> transformed = addresses(outcomes["transformer"].out, "transformer");
  const std::map<int, std::string> consumed = addresses(outcomes["consumer"].out, "consumer");
  CHECK(produced.size() == 12);
  CHECK(transformed == produced);
  CHECK(consumed == produced);  // zero copies: every stage saw the producer's addresses
  CHECK(lines_starting(outcomes["consumer"].out, "consumer: #").size() == 12);
  for (const std::string& line : lines_starting(outcomes["consumer"].out, "consumer: #"))
    CHECK(line.substr(line.size() - 3) == " ok");
  CHECK(outcomes["consumer"].out.find("12 buffers (96 MiB) received by pointer, checksums ok, all freed; "
                                      "heap in use now: 0 bytes in 0 blocks") != std::string::npos);
  CHECK(heap_counter(sandbox, "pipe", "bytes_in_use") == 0);
  CHECK(registry_ls(sandbox, "pipe").empty());
}

TEST_CASE("the samples run outside a space say how to run them and exit 2") {
  Sandbox sandbox;
  for (const auto& [sample_name, program_name] : std::vector<std::pair<std::string, std::string>>{
           {"kv", "kv_server"}, {"kv", "kv_client"}, {"pipeline", "producer"}, {"pipeline", "consumer"}}) {
    INFO(program_name);
    const Outcome outcome = sandbox.run_direct({sample(sample_name, program_name)});
    CHECK_THAT(outcome, ExitsWith(2));
    CHECK(outcome.err.find("not in a tproc space (run it with `tproc run SPACE") != std::string::npos);
  }
}
