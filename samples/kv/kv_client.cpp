// kv_client: talks to kv_server by pointer. It waits for the `kv.requests` endpoint (so it may start
// before the server), checks its kind, then puts, gets, replaces and erases keys of its own and
// verifies every answer: a get must return the very Value object that was put (same address:
// nothing was copied) with the right text. Prints a one-line summary; exits 0 when all is well.
//
//   kv_client [--name NAME] [--keys N] [--value-bytes BYTES] [--wait-ms MS]
//   kv_client --shutdown [--wait-ms MS]      asks the server to end, waits until it is gone
//
// Exit status: 0 verified, 1 a wrong answer, 2 usage or not in a space, 3 no server in time.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "kv_protocol.hpp"

namespace {

/// Slice of a reply wait between checks that the server is still there.
constexpr int kReplySliceMs = 200;

struct Options {
  std::string name = "client";
  int keys = 100;
  size_t value_bytes = 200;
  int wait_ms = 10000;
  bool shutdown = false;
};

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [--name NAME] [--keys N] [--value-bytes BYTES] [--wait-ms MS]\n"
               "       %s --shutdown [--wait-ms MS]\n",
               program, program);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(argv[0]);
      return argv[++i];
    };
    if (arg == "--name") options.name = value();
    else if (arg == "--keys") options.keys = std::atoi(value());
    else if (arg == "--value-bytes") options.value_bytes = std::strtoul(value(), nullptr, 10);
    else if (arg == "--wait-ms") options.wait_ms = std::atoi(value());
    else if (arg == "--shutdown") options.shutdown = true;
    else usage(argv[0]);
  }
  if (options.keys < 4 || options.name.empty()) usage(argv[0]);
  return options;
}

/// The text of version `version` of key `index`: recognisable, `bytes` long.
std::string value_text(const std::string& name, int index, int version, size_t bytes) {
  const std::string unit = name + ":" + std::to_string(index) + ":v" + std::to_string(version) + "|";
  std::string text;
  text.reserve(bytes);
  while (text.size() < bytes) text += unit;
  text.resize(bytes);
  return text;
}

/// A connection to the server found in the registry.
class Connection {
 public:
  /// Waits up to `wait_ms` for the endpoint to be ready; exits 3 (or 1: wrong kind) on failure.
  static Connection open(int wait_ms) {
    kv::Service* service = nullptr;
    if (int error = tproc::wait(kv::kEndpoint, kv::kKind, wait_ms, &service); error < 0) {
      std::fprintf(stderr, "kv_client: no %s endpoint: %s\n", kv::kEndpoint,
                   error == -EPROTOTYPE ? "it is not a kv.Service/1" : std::strerror(-error));
      std::exit(error == -EPROTOTYPE ? 1 : 3);
    }
    tproc_endpoint endpoint;
    if (tproc_query(kv::kEndpoint, &endpoint) < 0) {
      std::fprintf(stderr, "kv_client: %s went away at once\n", kv::kEndpoint);
      std::exit(3);
    }
    // Read the descriptor once: it lives in the server's image, gone when the server is.
    return Connection(service->requests, endpoint.generation, service->server_pid);
  }

  int server_pid() const { return server_pid_; }
  uint64_t generation() const { return generation_; }

  /// Sends `request` and waits for its answer; exits 3 if the server stops answering.
  kv::Status call(kv::Request& request) {
    request.done.store(0, std::memory_order_relaxed);
    request.status = kv::Status::pending;
    if (int error = tproc_channel_send(requests_, &request, 10000); error < 0) {
      std::fprintf(stderr, "kv_client: the server takes no requests: %s\n", std::strerror(-error));
      std::exit(3);
    }
    int grace = 5;  // slices to wait after the server withdrew (it answers what is queued)
    while (!kv::wait_answer(&request, kReplySliceMs)) {
      if (tproc_wait_gone(kv::kEndpoint, generation_, 0) == 0 && --grace == 0) {
        std::fprintf(stderr, "kv_client: kv_server (pid %d) went away without answering\n", server_pid_);
        std::exit(3);
      }
    }
    return request.status;
  }

 private:
  Connection(tproc_channel* requests, uint64_t generation, int server_pid)
      : requests_(requests), generation_(generation), server_pid_(server_pid) {}
  tproc_channel* requests_;
  uint64_t generation_;
  int server_pid_;
};

/// Counts what was checked and what went wrong.
struct Tally {
  unsigned puts = 0, gets = 0, erases = 0, replaced = 0, failures = 0;

  void check(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    if (failures <= 10) std::fprintf(stderr, "kv_client: FAILED: %s\n", what.c_str());
  }
};

int shutdown_server(int wait_ms) {
  Connection connection = Connection::open(wait_ms);
  // The request lives on this stack: the server can read it, it is in the same address space.
  kv::Request request;
  request.op = kv::Op::shutdown;
  if (connection.call(request) != kv::Status::ok) {
    std::fprintf(stderr, "kv_client: the server refused to shut down\n");
    return 1;
  }
  if (int error = tproc_wait_gone(kv::kEndpoint, connection.generation(), wait_ms); error < 0) {
    std::fprintf(stderr, "kv_client: %s still listed after the shutdown: %s\n", kv::kEndpoint, std::strerror(-error));
    return 1;
  }
  std::printf("kv_client: kv_server (pid %d) shut down; %s is gone\n", connection.server_pid(), kv::kEndpoint);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "kv_client: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }
  if (options.shutdown) return shutdown_server(options.wait_ms);

  Connection server = Connection::open(options.wait_ms);
  Tally tally;
  const int n = options.keys;
  std::vector<kv::Value*> stored(n);  // what we put last for each key (no longer ours: compared only)
  std::vector<int> version(n, 0);
  // Each request lives on this stack for the length of its call: the server reads and answers it
  // in place (one address space), and the next call starts from a fresh one.
  auto key_of = [&](int i) { return options.name + "/key-" + std::to_string(i); };

  auto put = [&](int i, int v) {
    kv::Request request;
    request.op = kv::Op::put;
    request.key = tproc::space_new<tproc::space_string>(key_of(i));  // handed over, not copied
    request.value = tproc::space_new<kv::Value>(value_text(options.name, i, v, options.value_bytes));
    kv::Value* sent = request.value;
    const kv::Status status = server.call(request);
    ++tally.puts;
    tally.check(status == kv::Status::ok, "put " + key_of(i));
    tally.check(request.replaced == (version[i] != 0), "put " + key_of(i) + ": wrong 'replaced' flag");
    if (request.replaced) ++tally.replaced;
    stored[i] = sent;
    version[i] = v;
  };
  // A lent key: ours before and after the call. Returns the status and the reply's value.
  auto with_key = [&](int i, kv::Op op, kv::Value** value = nullptr) {
    tproc::space_string* key = tproc::space_new<tproc::space_string>(key_of(i));
    kv::Request request;
    request.op = op;
    request.key = key;
    const kv::Status status = server.call(request);
    tproc::space_delete(key);
    if (value != nullptr) *value = request.value;
    return status;
  };
  auto get_and_check = [&](int i) {
    kv::Value* value = nullptr;
    const kv::Status status = with_key(i, kv::Op::get, &value);
    ++tally.gets;
    if (version[i] == 0) {
      tally.check(status == kv::Status::not_found && value == nullptr, "get " + key_of(i) + ": expected not found");
      return;
    }
    tally.check(status == kv::Status::ok && value != nullptr, "get " + key_of(i) + ": not found");
    if (value == nullptr) return;
    tally.check(value == stored[i], "get " + key_of(i) + ": not the object that was put (copied?)");
    tally.check(std::string_view(value->text) == value_text(options.name, i, version[i], options.value_bytes),
                "get " + key_of(i) + ": wrong text");
    kv::release(value);
  };

  for (int i = 0; i < n; ++i) put(i, 1);
  for (int i = 0; i < n; ++i) get_and_check(i);
  for (int i = 0; i < n; i += 2) put(i, 2);  // replaces
  for (int i = 0; i < n; ++i) get_and_check(i);

  // A reference keeps a value alive while the key moves on.
  kv::Value* held = nullptr;
  with_key(0, kv::Op::get, &held);
  put(0, 3);
  tally.check(held != nullptr && std::string_view(held->text) == value_text(options.name, 0, 2, options.value_bytes),
              "a held reference lost its value when the key was replaced");
  kv::release(held);  // the last reference: freed here, though another program allocated it
  get_and_check(0);

  for (int i = 1; i < n; i += 4) {
    const kv::Status status = with_key(i, kv::Op::erase);
    ++tally.erases;
    tally.check(status == kv::Status::ok, "erase " + key_of(i));
    version[i] = 0;
  }
  for (int i = 0; i < n; ++i) get_and_check(i);
  tally.check(with_key(n + 1000, kv::Op::get) == kv::Status::not_found, "get of a key never put");

  unsigned kept = 0;
  for (int i = 0; i < n; ++i) kept += version[i] != 0;
  if (tally.failures != 0) {
    std::printf("kv_client %s: %u of the checks FAILED\n", options.name.c_str(), tally.failures);
    return 1;
  }
  std::printf(
      "kv_client %s: %u puts (%u replaced), %u gets, %u erases, %u keys left: all verified; values passed by "
      "pointer, 0 bytes copied (server pid %d)\n",
      options.name.c_str(), tally.puts, tally.replaced, tally.gets, tally.erases, kept, server.server_pid());
  return 0;
}
