// kv_server: a key-value service for the other programs of its space.
//
// It creates a channel in the space heap, publishes it in the registry as `kv.requests` (a
// kv::Service that holds the channel) and serves kv::Request pointers that clients send: keys and
// values arrive and leave by pointer, never copied or serialised (kv_protocol.hpp says who owns
// what). It ends, freeing everything it holds, on a shutdown request or on SIGTERM/SIGINT.
//
// Run as a bundle whose manifest declares the endpoint (symbol kv_service), the daemon publishes
// it as `declared` before main() runs and tproc_ready() below turns it `ready`; run as a plain
// program, kv_server publishes it itself once it can serve.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>

#include "kv_protocol.hpp"

/// The endpoint. Exported (kv_server links with -rdynamic) so a manifest can name it by symbol.
extern "C" {
__attribute__((visibility("default"))) kv::Service kv_service = {1, 0, nullptr};
}

namespace {

/// SIGTERM/SIGINT close the request channel: the loop below answers what is queued, then ends.
void on_stop_signal(int) {
  if (kv_service.requests != nullptr) tproc_channel_close(kv_service.requests);
}

struct Entry {
  tproc::space_string* key;  ///< owned by the server (it came with a put)
  kv::Value* value;          ///< one reference, the server's
};

struct Counters {
  unsigned long requests = 0, puts = 0, replaced = 0, gets = 0, misses = 0, erases = 0;
};

/// The store. Its index is the server's own (plain malloc): only keys and values travel.
class Store {
 public:
  ~Store() {
    for (auto& [view, entry] : entries_) {
      kv::release(entry.value);
      tproc::space_delete(entry.key);
    }
  }

  size_t size() const { return entries_.size(); }

  void put(kv::Request* request, Counters& counters) {
    ++counters.puts;
    auto found = entries_.find(std::string_view(*request->key));
    if (found != entries_.end()) {
      // Keep our key; free the client's (another program's heap block: the space heap allows it).
      kv::release(found->second.value);
      found->second.value = request->value;
      tproc::space_delete(request->key);
      request->replaced = true;
      ++counters.replaced;
    } else {
      entries_.emplace(std::string_view(*request->key), Entry{request->key, request->value});
      request->replaced = false;
    }
    request->key = nullptr;
    request->value = nullptr;
    kv::answer(request, kv::Status::ok);
  }

  void get(kv::Request* request, Counters& counters) {
    ++counters.gets;
    auto found = entries_.find(std::string_view(*request->key));
    if (found == entries_.end()) {
      ++counters.misses;
      request->value = nullptr;
      kv::answer(request, kv::Status::not_found);
      return;
    }
    request->value = kv::retain(found->second.value);  // the stored object itself, no copy
    kv::answer(request, kv::Status::ok);
  }

  void erase(kv::Request* request, Counters& counters) {
    ++counters.erases;
    auto found = entries_.find(std::string_view(*request->key));
    if (found == entries_.end()) {
      ++counters.misses;
      kv::answer(request, kv::Status::not_found);
      return;
    }
    Entry entry = found->second;
    entries_.erase(found);  // first: the index's key views the string we free next
    kv::release(entry.value);
    tproc::space_delete(entry.key);
    kv::answer(request, kv::Status::ok);
  }

 private:
  std::map<std::string_view, Entry> entries_;
};

int fail(const char* what, int error) {
  std::fprintf(stderr, "kv_server: %s: %s\n", what, std::strerror(-error));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::fprintf(stderr, "usage: %s (no arguments; ends on a shutdown request, SIGTERM or SIGINT)\n", argv[0]);
    return 2;
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "kv_server: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }

  tproc_channel* requests = nullptr;
  // Many clients send, only this server receives.
  if (int error = tproc_channel_create(64, TPROC_CHANNEL_SINGLE_CONSUMER, &requests); error < 0)
    return fail("create the request channel", error);
  kv_service.server_pid = static_cast<int32_t>(::getpid());
  kv_service.requests = requests;

  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;  // no SA_RESTART: a blocked receive returns -EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  // Declared by a manifest (ours already)? Then only make it ready; else publish it, ready at once.
  tproc_endpoint declared;
  const bool from_manifest = tproc_query(kv::kEndpoint, &declared) == 0 && declared.owner_pid == ::getpid();
  if (!from_manifest) {
    if (int error = tproc_publish(kv::kEndpoint, &kv_service, kv::kKind); error < 0) {
      tproc_channel_destroy(requests);
      return fail(error == -EEXIST ? "publish kv.requests (another kv_server runs in this space)" : "publish kv.requests",
                  error);
    }
  }
  // Ready: clients blocked in tproc_wait("kv.requests") wake now. (A self-published endpoint is
  // ready already; then only a declared one this program may get later would care.)
  if (int changed = tproc_ready(nullptr); changed < 0 && from_manifest) return fail("tproc_ready", changed);
  std::printf("kv_server: serving %s at %p (channel %p), pid %d\n", kv::kEndpoint, static_cast<void*>(&kv_service),
              static_cast<void*>(requests), static_cast<int>(::getpid()));
  std::fflush(stdout);

  Store store;
  Counters counters;
  bool withdrawn = false;
  for (;;) {
    void* message = nullptr;
    const int received = tproc_channel_recv(requests, &message, -1);
    if (received == -EINTR) continue;  // a stop signal closed the channel: drain it
    if (received == -EPIPE) break;     // closed and drained
    if (received < 0) return fail("receive a request", received);
    auto* request = static_cast<kv::Request*>(message);
    ++counters.requests;
    switch (request->op) {
      case kv::Op::put:
        if (request->key == nullptr || request->value == nullptr) kv::answer(request, kv::Status::bad_request);
        else store.put(request, counters);
        break;
      case kv::Op::get:
        if (request->key == nullptr) kv::answer(request, kv::Status::bad_request);
        else store.get(request, counters);
        break;
      case kv::Op::erase:
        if (request->key == nullptr) kv::answer(request, kv::Status::bad_request);
        else store.erase(request, counters);
        break;
      case kv::Op::shutdown:
        // Gone from the registry first (new clients stop finding us, watchers wake), then closed:
        // what is queued still gets answered below.
        withdrawn = tproc_withdraw(kv::kEndpoint) == 0;
        tproc_channel_close(requests);
        kv::answer(request, kv::Status::ok);
        break;
      default:
        kv::answer(request, kv::Status::bad_request);
    }
  }

  if (!withdrawn) tproc_withdraw(kv::kEndpoint);
  kv_service.requests = nullptr;
  tproc_channel_destroy(requests);
  const size_t keys = store.size();
  std::printf(
      "kv_server: shut down after %lu requests (%lu puts, %lu replaced, %lu gets, %lu erases, %lu not found); "
      "freed %zu keys and their values\n",
      counters.requests, counters.puts, counters.replaced, counters.gets, counters.erases, counters.misses, keys);
  return 0;  // ~Store frees the keys and values it holds
}
