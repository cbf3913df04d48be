// Writes the request decoder's seed corpus and dictionary: every message type encoded by
// protocol::encode, once with default fields and (where it has any) once with its fields filled
// in, so the fuzzer starts from well-formed bytes of each shape instead of having to discover the
// header and each field layout by chance. The dictionary takes the header (magic and version)
// from a real encoding, so both stay right when the protocol's version or types change: rerun
// make-seeds then.
//
// Usage: message_seeds DIR DICT (make-seeds: corpus/request_decoder_fuzz, request_decoder_fuzz.dict).

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/messages.hpp"

namespace {

using namespace tproc::protocol;

/// Every alternative of Message, default-constructed: a new type gets a seed without asking.
template <size_t... Index>
std::vector<Message> defaults(std::index_sequence<Index...>) {
  return {Message(std::in_place_index<Index>)...};
}

TprocInfo sample_tproc() {
  return TprocInfo{.id = 42,
                   .name = "kv-server",
                   .pid = 4242,
                   .running = true,
                   .exit_status = 0,
                   .started = 1700000000,
                   .command = "kv_server --port 7000",
                   .detached = true,
                   .labels = {"tier=web", "canary="},
                   .paused = true};
}

/// The types with fields, filled in.
std::vector<Message> filled() {
  return {
      RunRequest{.argv = {"/bin/echo", "hello", ""},
                 .env = {"PATH=/usr/bin:/bin", "HOME=/root"},
                 .execfn = "./echo",
                 .cwd = "/tmp",
                 .name = "echo",
                 .detach = true,
                 .ignored_signals = 1u << (13 - 1),
                 .limits = {RunLimit{.resource = 7, .value = 1024}, RunLimit{.resource = 9, .value = 1ull << 32}},
                 .core_dumps = true,
                 .auto_remove = true,
                 .labels = {"tier=web"},
                 .default_name = "hello",

                 .rootfs = "/srv/rootfs",
                 .hostname = "box",
                 .network = "ns:/run/netns/blue",
                 .private_pids = true,
                 .user = RunUser{.given = true,
                                 .uid = 65534,
                                 .gid = 65534,
                                 .groups = {65534, 27},
                                 .bounding = 1u << 10,
                                 .effective = 1u << 10,
                                 .permitted = 1u << 10,
                                 .inheritable = 1u << 10,
                                 .ambient = 1u << 10,
                                 .no_new_privs = false},
                 .container = {.given = true,
                               .mounts = {ContainerMount{.destination = "/dev",
                                                         .type = "tmpfs",
                                                         .source = "tmpfs",
                                                         .options = {"nosuid", "mode=755"}},
                                          ContainerMount{.destination = "/etc/hosts",
                                                         .type = "bind",
                                                         .source = "/srv/hosts",
                                                         .options = {"bind", "ro"}}},
                               .ipc = "new"},
                 .seccomp_filter = std::string(16, '\x06'),
                 .seccomp_flags = 2,
                 .cgroups = {"/sys/fs/cgroup/pids/pod/c1", "/sys/fs/cgroup/cpu/pod/c1"}},
      ListRequest{.all = true},
      SignalRequest{.target = "kv-server", .signal = 15},
      OpenRequest{.target = "42"},
      Started{.id = 7, .pid = 1234},
      Exited{.killed = true, .value = 9, .core_dumped = true},
      Failure{.message = "kv: not found", .code = 2},
      TprocList{.tprocs = {sample_tproc(), TprocInfo{}}},
      Opened{.tproc = sample_tproc(), .has_log = true},
      SpaceInfo{.name = "default", .daemon_pid = 100, .running = 3, .reclaim = false, .rss = 1u << 30},
      EndpointList{.endpoints = {EndpointInfo{.name = "kv/requests",
                                              .address = 0x7f0000001000,
                                              .kind = 1,
                                              .owner_pid = 4242,
                                              .owner_id = 42,
                                              .owner_name = "kv-server",
                                              .state = "ready"},
                                 EndpointInfo{}}},
      WaitRequest{.target = "kv-server"},
      RemoveRequest{.target = "42", .force = true},
      SpaceStats{.sampled_ns = 123456789,
                 .daemon_pid = 100,
                 .rss = 300u << 20,
                 .registry_rss = 1u << 19,
                 .heap_rss = 5u << 20,
                 .daemon_rss = 3u << 20,
                 .daemon_cpu_ns = 10'000'000,
                 .notified_calls = 12345,
                 .daemon_context_switches = 6789,
                 .ended_tprocs_context_switches = 4321,
                 .tprocs = {TprocStats{.id = 42, .name = "kv-server", .pid = 4242, .paused = true, .cpu_ns = 1'000'000,
                                       .threads = 4, .fds = 9, .rss = 200u << 20, .mapped = 210u << 20},
                            TprocStats{}}},
      PauseRequest{.targets = {"42", "kv-server"}, .pause = false},
      RangesRequest{.target = "kv-server"},
      OwnedRanges{.tproc = sample_tproc(),
                  .ranges = {OwnedRange{.begin = 0x7f0000000000, .end = 0x7f0000004000, .origin = "executable"},
                             OwnedRange{.begin = 0x7f0000010000, .end = 0x7f0000030000, .origin = "mapped"}},
                  .executable_bias = 0x7f0000000000,
                  .interpreter_bias = 0x7f1000000000,
                  .ledger = false},
      RestartRequest{.targets = {"42", "kv-server", "42"}, .grace_ms = 2500},
      Restarted{.outcomes = {RestartOutcome{.id = 42, .pid = 4343},
                             RestartOutcome{.id = 7, .message = "tproc 7 (x) was removed (tproc rm -f) while it restarted",
                                            .code = 125}}},
  };
}

bool write_file(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::fprintf(stderr, "message_seeds: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

/// `bytes` as a libFuzzer dictionary value ("\xNN" for every byte).
std::string dict_value(const std::vector<std::byte>& bytes) {
  std::string out = "\"";
  char escaped[8];
  for (std::byte b : bytes) {
    std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned>(b));
    out += escaped;
  }
  return out + "\"";
}

std::vector<std::byte> u16(unsigned value) {
  return {std::byte(value & 0xff), std::byte(value >> 8)};
}

/// The dictionary: the header of this protocol version, each type, and field values at the edges.
std::string dictionary() {
  const std::vector<std::byte> header = encode(Message(std::in_place_index<0>));
  std::string out =
      "# libFuzzer dictionary for request_decoder_fuzz, written by seeds/message_seeds.cpp (make-seeds):\n"
      "# edit the generator, not this file. Every message starts magic \"TPRC\", version (u16), type (u16).\n";
  out += "magic=" + dict_value({header.begin(), header.begin() + 4}) + "\n";
  out += "magic_version=" + dict_value({header.begin(), header.begin() + 6}) + "\n";
  out += "version=" + dict_value({header.begin() + 4, header.begin() + 6}) + "\n";
  auto all = defaults(std::make_index_sequence<std::variant_size_v<Message>>());
  for (const Message& message : all) {
    out += std::string("type_") + type_name(message) + "=" + dict_value(u16(static_cast<unsigned>(message.index()))) + "\n";
  }
  out += "type_unknown=" + dict_value(u16(std::variant_size_v<Message>)) + "\n";
  out +=
      "# u32 counts of strings and lists: empty, one, and ones that claim more than any message holds\n"
      "count_0=\"\\x00\\x00\\x00\\x00\"\n"
      "count_1=\"\\x01\\x00\\x00\\x00\"\n"
      "count_big=\"\\x00\\x00\\x03\\x00\"\n"
      "count_max=\"\\xff\\xff\\xff\\xff\"\n"
      "bool_true=\"\\x01\"\n"
      "bool_bad=\"\\x02\"\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR DICT\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<std::pair<Message, const char*>> seeds;
  for (Message& message : defaults(std::make_index_sequence<std::variant_size_v<Message>>()))
    seeds.emplace_back(std::move(message), "defaults");
  for (Message& message : filled()) seeds.emplace_back(std::move(message), "filled");

  for (const auto& [message, form] : seeds) {
    const std::vector<std::byte> bytes = encode(message);
    // A seed the decoder refuses would teach the fuzzer nothing: catch a stale generator here.
    if (!decode(bytes)) {
      std::fprintf(stderr, "message_seeds: %s does not decode\n", type_name(message));
      return 1;
    }
    if (!write_file(dir + "/" + type_name(message) + "-" + form, bytes.data(), bytes.size())) return 1;
  }
  const std::string dict = dictionary();
  return write_file(argv[2], dict.data(), dict.size()) ? 0 : 1;
}
